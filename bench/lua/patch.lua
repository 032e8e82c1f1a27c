-- PATCH /v1/users/{id} with one field, on random seeded users.
dofile(os.getenv("UB_LUA") .. "/common.lua")
local ids
local n = 0
function init() ids = lines(os.getenv("UB_IDS")); math.randomseed(os.time()) end
function request()
  n = n + 1
  return wrk.format("PATCH", "/v1/users/" .. ids[math.random(#ids)], auth(true), '{"first_name":"P' .. n .. '"}')
end
