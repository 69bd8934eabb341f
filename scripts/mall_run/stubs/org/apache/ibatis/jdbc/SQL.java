package org.apache.ibatis.jdbc;

/**
 * Stand-in for MyBatis's SQL builder, enough for ShipmentSqlProvider to compile (MyBatis is not packaged by
 * Debian; see fixtures/mall/logs/README.md). The recorded run does not call SQL providers.
 */
public class SQL {

    public SQL SELECT(String columns) { return this; }

    public SQL FROM(String table) { return this; }

    public SQL WHERE(String condition) { return this; }

    @Override
    public String toString() {
        throw new UnsupportedOperationException("stand-in: the recorded run does not call SQL providers");
    }
}
