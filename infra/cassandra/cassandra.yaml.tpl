# Single fast test node standing in for ScyllaDB. Generated into .data/cassandra/ by scripts/stack.sh
# (paths are absolute because Cassandra requires them). Unknown keys are rejected by 5.0's loader.
cluster_name: 'chat-local'
partitioner: org.apache.cassandra.dht.Murmur3Partitioner
endpoint_snitch: SimpleSnitch
num_tokens: 1
listen_address: 127.0.0.1
rpc_address: 127.0.0.1
storage_port: 7000
native_transport_port: 9042
start_native_transport: true
seed_provider: [{class_name: org.apache.cassandra.locator.SimpleSeedProvider, parameters: [{seeds: "127.0.0.1"}]}]
data_file_directories: [@DATA@/data]
commitlog_directory: @DATA@/commitlog
saved_caches_directory: @DATA@/saved_caches
hints_directory: @DATA@/hints
cdc_raw_directory: @DATA@/cdc_raw
commitlog_sync: periodic
commitlog_sync_period: 10s
commitlog_segment_size: 5MiB
auto_snapshot: false
incremental_backups: false
memtable_allocation_type: heap_buffers
disk_access_mode: standard
concurrent_compactors: 1
authenticator: AllowAllAuthenticator
authorizer: AllowAllAuthorizer
# Tests and benchmarks run dozens of keyspaces on this one server, and Cassandra caches each keyspace's
# prepared statements apart: the default (10 MiB at this heap) discarded hundreds a minute, each a
# re-prepare round trip for the apps.
prepared_statements_cache_size: 64MiB
