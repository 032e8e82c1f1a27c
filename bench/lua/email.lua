-- GET /v1/users?email=... for random seeded emails.
dofile(os.getenv("UB_LUA") .. "/common.lua")
local emails
function init() emails = lines(os.getenv("UB_EMAILS")); math.randomseed(os.time()) end
function request() return wrk.format("GET", "/v1/users?email=" .. emails[math.random(#emails)], auth(false)) end
