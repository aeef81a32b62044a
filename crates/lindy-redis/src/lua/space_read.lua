-- ARGV: waiting (0|1), key
if ARGV[1] == '1' and redis.call('HEXISTS', meta, 'closed') == 1 then
  return redis.error_reply('LINDY_CLOSED the space is closed')
end
return redis.call('LINDEX', P .. 'q:' .. ARGV[2], 0)
