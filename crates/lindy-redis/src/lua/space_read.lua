-- ARGV: waiting (0|1), key. A waiting read of an empty key of a closed space: LINDY_CLOSED.
local head = redis.call('LINDEX', P .. 'q:' .. ARGV[2], 0)
if not head and ARGV[1] == '1' and is_closed() then
  return redis.error_reply('LINDY_CLOSED the space is closed')
end
return head
