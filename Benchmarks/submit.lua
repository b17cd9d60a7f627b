-- wrk script: each request submits an answer to a check as one of the learners whose
-- session cookies are listed in the file named by CAIRN_COOKIES, in turn.
local cookies = {}
local counter = 0
local path = os.getenv("CAIRN_CHAT_PATH")
local body = os.getenv("CAIRN_ANSWER_BODY")

function setup(thread)
  thread:set("offset", counter)
  counter = counter + 1
end

function init(args)
  for line in io.lines(os.getenv("CAIRN_COOKIES")) do
    table.insert(cookies, line)
  end
  n = offset
end

function request()
  n = n + 1
  local cookie = cookies[(n % #cookies) + 1]
  return wrk.format("POST", path, {
    ["Cookie"] = cookie,
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Accept"] = "text/event-stream",
  }, body)
end
