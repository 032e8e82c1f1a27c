-- GET /v1/users?limit=20: the newest page.
dofile(os.getenv("UB_LUA") .. "/common.lua")
function request() return wrk.format("GET", "/v1/users?limit=20", auth(false)) end
