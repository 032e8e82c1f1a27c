-- GET /v1/users/{id} for random seeded users.
dofile(os.getenv("UB_LUA") .. "/common.lua")
local ids
function init() ids = lines(os.getenv("UB_IDS")); math.randomseed(os.time()) end
function request() return wrk.format("GET", "/v1/users/" .. ids[math.random(#ids)], auth(false)) end
