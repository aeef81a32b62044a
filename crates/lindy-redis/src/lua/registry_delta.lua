-- ARGV: log_len, name, enabled (0|1)
local name = ARGV[2]
local c = load(name)
if not c or c.state == 'd' then return redis.error_reply('LINDY_CH_NOT_FOUND ' .. name) end
c.delta = ARGV[3]
store(name, c)
return 1
