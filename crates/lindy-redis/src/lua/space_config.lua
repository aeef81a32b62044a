-- ARGV: dead-letter key ('' for none). Records the space-wide dead-letter key.
if ARGV[1] == '' then
  redis.call('HDEL', meta, 'deadkey')
else
  redis.call('HSET', meta, 'deadkey', ARGV[1])
end
return 1
