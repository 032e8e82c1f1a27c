-- Shared by the benchmark scripts: the key from UB_KEY, and lines of a file (ids or emails).
key = os.getenv("UB_KEY")
function lines(path)
  local t = {}
  for l in io.lines(path) do t[#t + 1] = l end
  return t
end
function auth(extra)
  local h = { ["Authorization"] = "Bearer " .. key }
  if extra then h["Content-Type"] = "application/json" end
  return h
end
