-- ARGV: limit, max_deliveries. Requeues due leases (server clock); returns how many.
return reap(now_ms(), tonumber(ARGV[1]), tonumber(ARGV[2]))
