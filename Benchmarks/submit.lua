-- wrk script: each request submits an answer to a check as one of the learners whose
-- session cookies are listed in the file named by CAIRN_COOKIES, in turn.
-- The requests are formatted once, in init, as wrk's own examples do: formatting one per
-- request in Lua cost the load generator three times the CPU of a plain GET, CPU that the
-- server under test shares on a small machine.
local requests = {}
local counter = 0
local path = os.getenv("CAIRN_CHAT_PATH")
local body = os.getenv("CAIRN_ANSWER_BODY")

function setup(thread)
  thread:set("offset", counter)
  counter = counter + 1
end

function init(args)
  for cookie in io.lines(os.getenv("CAIRN_COOKIES")) do
    table.insert(requests, wrk.format("POST", path, {
      ["Cookie"] = cookie,
      ["Content-Type"] = "application/x-www-form-urlencoded",
      ["Accept"] = "text/event-stream",
    }, body))
  end
  n = offset
end

function request()
  n = n + 1
  return requests[(n % #requests) + 1]
end
