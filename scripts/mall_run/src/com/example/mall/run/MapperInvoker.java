package com.example.mall.run;

import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Method;
import java.lang.reflect.Parameter;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Proxy;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import javax.sql.DataSource;

import org.apache.ibatis.annotations.Param;
import org.springframework.jdbc.datasource.DataSourceUtils;

/**
 * Mapper interfaces backed by {@link MapperStatements}: what MyBatis's MapperProxy and SqlSession do for a
 * plain select/update, in the way mybatis-spring does it (the connection comes from Spring's
 * DataSourceUtils, so a surrounding Spring transaction is joined and otherwise the pool lends one per call).
 * Parameters bind as MyBatis's ParamNameResolver names them ({@code @Param} names and param1…; a single
 * unannotated bean or record is the root object, and reading a property it lacks is an error, as in MyBatis).
 * Rows map to the method's return type by column label in camelCase (mapUnderscoreToCamelCase).
 */
final class MapperInvoker implements InvocationHandler {

    private final MapperStatements statements;
    private final DataSource dataSource;

    private MapperInvoker(MapperStatements statements, DataSource dataSource) {
        this.statements = statements;
        this.dataSource = dataSource;
    }

    static <T> T mapper(Class<T> type, MapperStatements statements, DataSource dataSource) {
        Object proxy = Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type},
                new MapperInvoker(statements, dataSource));
        return type.cast(proxy);
    }

    @Override
    public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
        if (method.getDeclaringClass() == Object.class) {
            return method.invoke(this, args);
        }
        String id = method.getDeclaringClass().getName() + "." + method.getName();
        MapperStatements.BoundSql bound = statements.render(id, bindings(method, args == null ? new Object[0] : args));
        Connection connection = DataSourceUtils.getConnection(dataSource);
        try (PreparedStatement statement = connection.prepareStatement(bound.sql())) {
            for (int i = 0; i < bound.parameters().size(); i++) {
                statement.setObject(i + 1, bound.parameters().get(i));
            }
            if (!bound.kind().equals("select")) {
                int count = statement.executeUpdate();
                return method.getReturnType() == long.class ? (Object) (long) count : (Object) count;
            }
            try (ResultSet rows = statement.executeQuery()) {
                return results(method, rows, id);
            }
        } finally {
            DataSourceUtils.releaseConnection(connection, dataSource);
        }
    }

    private static Map<String, Object> bindings(Method method, Object[] args) throws ReflectiveOperationException {
        Parameter[] parameters = method.getParameters();
        if (args.length == 1 && parameters[0].getAnnotation(Param.class) == null && !simple(args[0].getClass())) {
            return new StrictBindings(properties(args[0]), "property named '%s' in '" + args[0].getClass() + "'");
        }
        Map<String, Object> bindings = new StrictBindings(Map.of(), "parameter '%s' (ParamMap)");
        for (int i = 0; i < args.length; i++) {
            Param param = parameters[i].getAnnotation(Param.class);
            bindings.put(param != null ? param.value() : "arg" + i, args[i]);
            bindings.put("param" + (i + 1), args[i]);
        }
        if (args.length == 1) {
            bindings.put("_parameter", args[0]);
        }
        return bindings;
    }

    private static boolean simple(Class<?> type) {
        return type.isPrimitive() || Number.class.isAssignableFrom(type) || type == String.class
                || type == Boolean.class || type.getName().startsWith("java.time.");
    }

    private static Map<String, Object> properties(Object bean) throws ReflectiveOperationException {
        Map<String, Object> values = new HashMap<>();
        if (bean instanceof Map<?, ?> map) {
            map.forEach((key, value) -> values.put(String.valueOf(key), value));
        } else if (bean.getClass().isRecord()) {
            for (RecordComponent component : bean.getClass().getRecordComponents()) {
                values.put(component.getName(), component.getAccessor().invoke(bean));
            }
        } else {
            for (Field field : bean.getClass().getDeclaredFields()) {
                field.setAccessible(true);
                values.put(field.getName(), field.get(bean));
            }
        }
        values.put("_parameter", bean);
        return values;
    }

    /** A call's names; asking for one it does not have fails as MyBatis's MetaObject/ParamMap do. */
    private static final class StrictBindings extends HashMap<String, Object> {
        private final String missing;

        StrictBindings(Map<String, Object> values, String missing) {
            super(values);
            this.missing = missing;
        }

        @Override
        public Object get(Object key) {
            if (!containsKey(key)) {
                throw new IllegalStateException("no " + String.format(missing, key));
            }
            return super.get(key);
        }
    }

    private static Object results(Method method, ResultSet rows, String id) throws Exception {
        boolean many = List.class.isAssignableFrom(method.getReturnType());
        Class<?> target = many ? elementType(method.getGenericReturnType()) : method.getReturnType();
        List<Object> results = new ArrayList<>();
        while (rows.next()) {
            results.add(row(rows, target));
        }
        if (many) {
            return results;
        }
        if (results.size() > 1) {
            throw new IllegalStateException("Expected one result (or null) to be returned by selectOne(), but found: "
                    + results.size() + " (" + id + ")");
        }
        return results.isEmpty() ? null : results.get(0);
    }

    private static Class<?> elementType(Type type) {
        if (type instanceof ParameterizedType parameterized && parameterized.getActualTypeArguments()[0] instanceof Class<?> c) {
            return c;
        }
        return Object.class;
    }

    private static Object row(ResultSet rows, Class<?> target) throws Exception {
        ResultSetMetaData meta = rows.getMetaData();
        Map<String, Object> columns = new LinkedHashMap<>();
        for (int i = 1; i <= meta.getColumnCount(); i++) {
            columns.put(camel(meta.getColumnLabel(i)), rows.getObject(i));
        }
        if (simple(target) || target == Object.class) {
            return convert(rows.getObject(1), target);
        }
        if (Map.class.isAssignableFrom(target)) {
            return columns;
        }
        if (target.isRecord()) {
            RecordComponent[] components = target.getRecordComponents();
            Class<?>[] types = new Class<?>[components.length];
            Object[] values = new Object[components.length];
            for (int i = 0; i < components.length; i++) {
                types[i] = components[i].getType();
                values[i] = convert(columns.get(components[i].getName()), types[i]);
            }
            Constructor<?> constructor = target.getDeclaredConstructor(types);
            constructor.setAccessible(true);
            return constructor.newInstance(values);
        }
        Constructor<?> constructor = target.getDeclaredConstructor();
        constructor.setAccessible(true);
        Object bean = constructor.newInstance();
        for (Field field : target.getDeclaredFields()) {
            if (columns.containsKey(field.getName())) {
                field.setAccessible(true);
                field.set(bean, convert(columns.get(field.getName()), field.getType()));
            }
        }
        return bean;
    }

    private static String camel(String column) {
        StringBuilder out = new StringBuilder();
        boolean upper = false;
        for (char c : column.toCharArray()) {
            if (c == '_') {
                upper = true;
            } else {
                out.append(upper ? Character.toUpperCase(c) : Character.toLowerCase(c));
                upper = false;
            }
        }
        return out.toString();
    }

    private static Object convert(Object value, Class<?> type) throws SQLException {
        if (value == null) {
            if (type == int.class) {
                return 0;
            }
            return type == long.class ? 0L : type == boolean.class ? false : null;
        }
        if (value instanceof Number number) {
            if (type == long.class || type == Long.class) {
                return number.longValue();
            }
            if (type == int.class || type == Integer.class) {
                return number.intValue();
            }
            if (type == BigDecimal.class) {
                return new BigDecimal(number.toString());
            }
            if (type == String.class) {
                return number.toString();
            }
        }
        if (value instanceof Timestamp timestamp && type == java.time.LocalDateTime.class) {
            return timestamp.toLocalDateTime();
        }
        return type.isInstance(value) || type == Object.class ? value : null;
    }
}
