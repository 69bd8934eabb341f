package com.example.mall.run;

import java.io.File;
import java.io.StringReader;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;

import org.apache.ibatis.annotations.Select;
import org.apache.ibatis.annotations.Update;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;
import org.xml.sax.InputSource;

import ognl.Ognl;
import ognl.OgnlException;

/**
 * The mall's mapper statements (mapper XML files and @Select/@Update annotations) and MyBatis's dynamic SQL
 * rules to render them for one call: {@code <if>/<choose>/<where>/<set>/<trim>/<foreach>/<bind>/<include>}
 * with OGNL tests (OGNL is what MyBatis evaluates them with), {@code ${}} spliced as text and {@code #{}}
 * sent as a JDBC parameter. Text keeps its whitespace as MyBatis sends it (shrinkWhitespacesInSql is off by
 * default) and pieces are joined with one space, as MyBatis's DynamicContext joins them.
 */
final class MapperStatements {

    /** SQL text with {@code ?} placeholders and the values to bind, in order. */
    record BoundSql(String kind, String sql, List<Object> parameters) {}

    private static final Pattern PARAMETER = Pattern.compile("#\\{([^}]*)}");
    private static final Pattern SPLICE = Pattern.compile("\\$\\{([^}]*)}");

    private final Map<String, Element> statements = new HashMap<>();
    private final Map<String, Element> fragments = new HashMap<>();
    private final Map<String, String> namespaces = new HashMap<>();

    static MapperStatements load(File mapperDir, List<Class<?>> mapperInterfaces) throws Exception {
        MapperStatements loaded = new MapperStatements();
        File[] files = mapperDir.listFiles((dir, name) -> name.endsWith(".xml"));
        if (files == null) {
            throw new IllegalArgumentException("no mapper directory: " + mapperDir);
        }
        for (File file : files) {
            loaded.addMapper(parse(new InputSource(file.toURI().toString())));
        }
        for (Class<?> type : mapperInterfaces) {
            for (Method method : type.getMethods()) {
                Select select = method.getAnnotation(Select.class);
                Update update = method.getAnnotation(Update.class);
                if (select != null || update != null) {
                    // MyBatis joins the annotation's strings with a space; a <script> is read as XML.
                    String text = String.join(" ", select != null ? select.value() : update.value()).strip();
                    String tag = select != null ? "select" : "update";
                    String xml = text.startsWith("<script>")
                            ? "<" + tag + ">" + text.substring(8, text.lastIndexOf("</script>")) + "</" + tag + ">"
                            : "<" + tag + "><![CDATA[" + text + "]]></" + tag + ">";
                    Element element = parse(new InputSource(new StringReader(xml))).getDocumentElement();
                    String id = type.getName() + "." + method.getName();
                    loaded.statements.put(id, element);
                    loaded.namespaces.put(id, type.getName());
                }
            }
        }
        return loaded;
    }

    private static Document parse(InputSource source) throws Exception {
        DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
        // The mapper DOCTYPE names mybatis.org's DTD: never fetch it, and no external entities.
        factory.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
        factory.setFeature("http://xml.org/sax/features/external-general-entities", false);
        factory.setAttribute(XMLConstants.ACCESS_EXTERNAL_DTD, "");
        factory.setExpandEntityReferences(false);
        DocumentBuilder builder = factory.newDocumentBuilder();
        return builder.parse(source);
    }

    private void addMapper(Document document) {
        Element mapper = document.getDocumentElement();
        String namespace = mapper.getAttribute("namespace");
        for (Element child : children(mapper)) {
            String id = namespace + "." + child.getAttribute("id");
            switch (child.getTagName()) {
                case "sql" -> fragments.put(id, child);
                case "select", "insert", "update", "delete" -> {
                    statements.put(id, child);
                    namespaces.put(id, namespace);
                }
                default -> { }
            }
        }
    }

    boolean has(String id) {
        return statements.containsKey(id);
    }

    /** Renders statement {@code id} for the bindings of one call (parameter names to values). */
    BoundSql render(String id, Map<String, Object> bindings) {
        Element statement = statements.get(id);
        if (statement == null) {
            throw new IllegalArgumentException("Mapped Statements collection does not contain value for " + id);
        }
        Render render = new Render(namespaces.get(id), bindings);
        render.nodes(statement, Map.of());
        return new BoundSql(statement.getTagName(), render.sql(), render.parameters);
    }

    private static List<Element> children(Element parent) {
        List<Element> elements = new ArrayList<>();
        NodeList nodes = parent.getChildNodes();
        for (int i = 0; i < nodes.getLength(); i++) {
            if (nodes.item(i) instanceof Element element) {
                elements.add(element);
            }
        }
        return elements;
    }

    /** One rendering: the pieces of SQL, the parameters met so far, and the OGNL bindings. */
    private final class Render {
        private final String namespace;
        private final Map<String, Object> bindings;
        private final List<String> pieces = new ArrayList<>();
        final List<Object> parameters = new ArrayList<>();

        Render(String namespace, Map<String, Object> bindings) {
            this.namespace = namespace;
            this.bindings = bindings;
        }

        String sql() {
            return String.join(" ", pieces).strip();
        }

        /** {@code properties}: an {@code <include>}'s {@code <property>} values, spliced into its fragment's text. */
        void nodes(Element parent, Map<String, String> properties) {
            NodeList nodes = parent.getChildNodes();
            for (int i = 0; i < nodes.getLength(); i++) {
                Node node = nodes.item(i);
                if (node.getNodeType() == Node.TEXT_NODE || node.getNodeType() == Node.CDATA_SECTION_NODE) {
                    text(node.getNodeValue(), properties);
                } else if (node instanceof Element element) {
                    element(element, properties);
                }
            }
        }

        private void text(String raw, Map<String, String> properties) {
            if (raw.isBlank()) {
                return;
            }
            String spliced = replace(SPLICE, raw, name -> properties.containsKey(name)
                    ? properties.get(name) : String.valueOf(eval(name)));
            pieces.add(replace(PARAMETER, spliced, expression -> {
                String property = expression.split(",")[0].strip();  // #{id, jdbcType=BIGINT}
                parameters.add(eval(property));
                return "?";
            }));
        }

        private void element(Element element, Map<String, String> properties) {
            switch (element.getTagName()) {
                case "if" -> {
                    if (test(element.getAttribute("test"))) {
                        nodes(element, properties);
                    }
                }
                case "choose" -> {
                    for (Element branch : children(element)) {
                        if (branch.getTagName().equals("otherwise") || test(branch.getAttribute("test"))) {
                            nodes(branch, properties);
                            break;
                        }
                    }
                }
                case "where" -> trim(element, properties, "WHERE", "", List.of("AND ", "OR ", "AND\n", "OR\n",
                        "AND\r", "OR\r", "AND\t", "OR\t"), List.of());
                case "set" -> trim(element, properties, "SET", "", List.of(), List.of(","));
                case "trim" -> trim(element, properties, element.getAttribute("prefix"), element.getAttribute("suffix"),
                        overrides(element.getAttribute("prefixOverrides")),
                        overrides(element.getAttribute("suffixOverrides")));
                case "foreach" -> foreach(element, properties);
                case "bind" -> bindings.put(element.getAttribute("name"), eval(element.getAttribute("value")));
                case "include" -> include(element, properties);
                default -> { }  // selectKey and friends: not part of the statement's text
            }
        }

        private void include(Element include, Map<String, String> outer) {
            String refid = include.getAttribute("refid");
            Element fragment = fragments.get(refid.contains(".") ? refid : namespace + "." + refid);
            if (fragment == null) {
                throw new IllegalArgumentException("Could not find SQL statement to include with refid '" + refid + "'");
            }
            Map<String, String> properties = new HashMap<>(outer);
            for (Element property : children(include)) {
                if (property.getTagName().equals("property")) {
                    properties.put(property.getAttribute("name"), property.getAttribute("value"));
                }
            }
            nodes(fragment, properties);
        }

        private void trim(Element element, Map<String, String> properties, String prefix, String suffix,
                          List<String> prefixOverrides, List<String> suffixOverrides) {
            // As MyBatis's TrimSqlNode: render the body apart, trim it, drop one leading/trailing override,
            // then add prefix and suffix; an empty body adds nothing.
            Render body = new Render(namespace, bindings);
            body.nodes(element, properties);
            parameters.addAll(body.parameters);
            StringBuilder sql = new StringBuilder(body.sql().strip());
            String upper = sql.toString().toUpperCase(Locale.ENGLISH);
            if (upper.isEmpty()) {
                return;
            }
            for (String override : prefixOverrides) {
                if (upper.startsWith(override)) {
                    sql.delete(0, override.strip().length());
                    break;
                }
            }
            for (String override : suffixOverrides) {
                if (upper.endsWith(override) || upper.endsWith(override.strip())) {
                    int length = override.strip().length();
                    sql.delete(sql.length() - length, sql.length());
                    break;
                }
            }
            if (!prefix.isEmpty()) {
                sql.insert(0, prefix + " ");
            }
            if (!suffix.isEmpty()) {
                sql.append(" ").append(suffix);
            }
            pieces.add(sql.toString());
        }

        private void foreach(Element element, Map<String, String> properties) {
            Object collection = eval(element.getAttribute("collection"));
            Iterable<?> items = collection instanceof Iterable<?> iterable ? iterable
                    : collection instanceof Object[] array ? List.of(array) : List.of();
            String item = element.getAttribute("item");
            String index = element.getAttribute("index");
            String separator = element.getAttribute("separator");
            if (!items.iterator().hasNext()) {
                return;  // as MyBatis: an empty collection adds neither open nor close
            }
            boolean first = true;
            int position = 0;
            pieces.add(element.getAttribute("open"));
            for (Object value : items) {
                if (!first && !separator.isEmpty()) {
                    pieces.add(separator);
                }
                if (!item.isEmpty()) {
                    bindings.put(item, value);
                }
                if (!index.isEmpty()) {
                    bindings.put(index, position);
                }
                nodes(element, properties);
                first = false;
                position++;
            }
            pieces.add(element.getAttribute("close"));
        }

        private boolean test(String expression) {
            Object value = eval(expression);
            if (value instanceof Boolean bool) {
                return bool;
            }
            if (value instanceof Number number) {
                return number.doubleValue() != 0;
            }
            return value != null;
        }

        private Object eval(String expression) {
            try {
                return Ognl.getValue(expression, bindings);
            } catch (OgnlException e) {
                throw new IllegalStateException("Error evaluating expression '" + expression + "'. Cause: " + e, e);
            }
        }
    }

    private static List<String> overrides(String attribute) {
        List<String> list = new ArrayList<>();
        for (String override : attribute.split("\\|")) {
            if (!override.isEmpty()) {
                list.add(override.toUpperCase(Locale.ENGLISH));
            }
        }
        return list;
    }

    private static String replace(Pattern pattern, String text, java.util.function.Function<String, String> value) {
        Matcher matcher = pattern.matcher(text);
        StringBuilder out = new StringBuilder();
        while (matcher.find()) {
            matcher.appendReplacement(out, Matcher.quoteReplacement(value.apply(matcher.group(1).strip())));
        }
        matcher.appendTail(out);
        return out.toString();
    }
}
