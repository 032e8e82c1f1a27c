-- POST /v1/users with an email no other request uses.
dofile(os.getenv("UB_LUA") .. "/common.lua")
local n = 0
function setup(thread) thread:set("tag", math.random(1, 1000000000)) end
function request()
  n = n + 1
  local body = '{"email":"c' .. tag .. '-' .. n .. '@bench.test","first_name":"Bench"}'
  return wrk.format("POST", "/v1/users", auth(true), body)
end
