# JVM options Cassandra 5.0 needs on JDK 17 (conf/jvm17-server.options and the jamm agent that
# cassandra-env.sh normally adds). Sourced by scripts/stack.sh; expects LIB and CDATA set.
cassandra_java_args() {
  local jamm; jamm=$(ls "$LIB"/jamm-*.jar | head -n1)
  CASSANDRA_ARGS=(
    -Djdk.attach.allowAttachSelf=true
    --add-exports java.base/jdk.internal.misc=ALL-UNNAMED
    --add-exports java.management.rmi/com.sun.jmx.remote.internal.rmi=ALL-UNNAMED
    --add-exports java.rmi/sun.rmi.registry=ALL-UNNAMED --add-exports java.rmi/sun.rmi.server=ALL-UNNAMED
    --add-exports java.sql/java.sql=ALL-UNNAMED --add-exports java.base/java.lang.ref=ALL-UNNAMED
    --add-exports jdk.unsupported/sun.misc=ALL-UNNAMED --add-exports jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED
    --add-exports jdk.attach/sun.tools.attach=ALL-UNNAMED
    --add-exports java.management/com.sun.jmx.remote.security=ALL-UNNAMED
    --add-opens java.base/java.lang.module=ALL-UNNAMED --add-opens java.base/jdk.internal.loader=ALL-UNNAMED
    --add-opens java.base/jdk.internal.ref=ALL-UNNAMED --add-opens java.base/jdk.internal.reflect=ALL-UNNAMED
    --add-opens java.base/jdk.internal.math=ALL-UNNAMED --add-opens java.base/jdk.internal.module=ALL-UNNAMED
    --add-opens java.base/jdk.internal.util.jar=ALL-UNNAMED --add-opens jdk.management/com.sun.management.internal=ALL-UNNAMED
    --add-opens java.base/sun.nio.ch=ALL-UNNAMED --add-opens java.base/java.io=ALL-UNNAMED
    --add-opens java.base/java.lang.reflect=ALL-UNNAMED --add-opens jdk.compiler/com.sun.tools.javac=ALL-UNNAMED
    --add-opens java.base/java.lang=ALL-UNNAMED --add-opens java.base/java.util=ALL-UNNAMED
    --add-opens java.base/java.nio=ALL-UNNAMED
    -Dio.netty.tryReflectionSetAccessible=true -Dio.netty.allocator.useCacheForAllThreads=true
    -Dio.netty.allocator.maxOrder=11
    -ea -Xss256k -XX:+UseG1GC -XX:+ParallelRefProcEnabled -XX:MaxGCPauseMillis=300
    -XX:+UseThreadPriorities -XX:+PerfDisableSharedMem -Djava.net.preferIPv4Stack=true
    -Xms512m -Xmx1g "-javaagent:$jamm"
    "-Dcassandra.config=file://$CDATA/cassandra.yaml" -Dcassandra-foreground=yes
    "-Dcassandra.storagedir=$CDATA" "-Dcassandra.logdir=$CDATA/logs"
    "-Dlogback.configurationFile=file://$CDATA/logback.xml"
    # Fast single test node: no fsync, no system-table flushes, no gossip settle wait.
    -Dcassandra.skip_sync=true -Dcassandra.unsafesystem=true
    -Dcassandra.test.flush_local_schema_changes=false
    -Dcassandra.skip_wait_for_gossip_to_settle=0 -Dcassandra.ring_delay_ms=1000
    -Dcassandra.superuser_setup_delay_ms=0 -Dcassandra.test.ignore_sigar=true
    "-Djna.tmpdir=$CDATA/tmp" "-Djava.io.tmpdir=$CDATA/tmp"
    -cp "$LIB/*" org.apache.cassandra.service.CassandraDaemon
  )
}
