package com.example.mall.run;

import java.io.File;
import java.math.BigDecimal;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import javax.sql.DataSource;

import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.namedparam.NamedParameterJdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import com.example.mall.controller.OrderController;
import com.example.mall.controller.ReportController;
import com.example.mall.dao.ReportDao;
import com.example.mall.domain.OrderQuery;
import com.example.mall.mapper.OrderMapper;
import com.example.mall.mapper.ProductMapper;
import com.example.mall.mapper.ShipmentMapper;
import com.example.mall.service.OrderService;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;

/**
 * Runs a short session of traffic through the mall's own controllers, services, DAO and mappers against a
 * MariaDB server (scripts/record_logs.py --app mall starts one and records its general and slow log).
 *
 * <p>The wiring is what Spring Boot would do, by hand: a HikariCP pool, Spring's JdbcTemplate for ReportDao,
 * Spring's DataSourceTransactionManager around the {@code @Transactional} method, and mapper proxies that
 * render the mapper XML/annotations with MyBatis's dynamic SQL rules ({@link MapperStatements}; MyBatis
 * itself is not packaged by Debian and Maven Central is out of reach here). No web server: each request is
 * a call of the controller method with the arguments Spring MVC would bind.
 *
 * <p>Usage: {@code RecordRun JDBC_URL USER PASSWORD MAPPER_DIR POWER_USER POWER_ORDER}
 */
public final class RecordRun {

    /** {@code fails}: why the request fails under MyBatis too (its SQL, if any, is still sent); null if it must not. */
    private record Request(String label, Runnable call, String fails) {
        Request(String label, Runnable call) {
            this(label, call, null);
        }
    }

    private RecordRun() {}

    public static void main(String[] args) throws Exception {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(args[0]);
        config.setUsername(args[1]);
        config.setPassword(args[2]);
        config.setMaximumPoolSize(6);
        long powerUser = Long.parseLong(args[4]);
        long powerOrder = Long.parseLong(args[5]);
        try (HikariDataSource dataSource = new HikariDataSource(config)) {
            MapperStatements statements = MapperStatements.load(new File(args[3]),
                    List.of(OrderMapper.class, ProductMapper.class, ShipmentMapper.class));
            OrderService orders = new OrderService(MapperInvoker.mapper(OrderMapper.class, statements, dataSource),
                    MapperInvoker.mapper(ProductMapper.class, statements, dataSource),
                    MapperInvoker.mapper(ShipmentMapper.class, statements, dataSource));
            OrderController orderController = new OrderController(orders);
            ReportController reportController = new ReportController(
                    new ReportDao(new JdbcTemplate(dataSource), new NamedParameterJdbcTemplate(dataSource)));
            TransactionTemplate transactional = new TransactionTemplate(new DataSourceTransactionManager(dataSource));

            List<Request> sequential = requests(orderController, reportController, transactional, powerUser,
                    powerOrder, 48003);
            int unexpected = 0;
            for (Request request : sequential) {  // one request after another
                unexpected += serve(request, "");
            }
            // Then the same requests from four concurrent clients: their connections interleave in the logs.
            List<Request> concurrent = requests(orderController, reportController, transactional, powerUser,
                    powerOrder, 48006);
            ExecutorService pool = Executors.newFixedThreadPool(4);
            List<Future<Integer>> done = new ArrayList<>();
            for (Request request : concurrent) {
                done.add(pool.submit(() -> serve(request, " (concurrently)")));
            }
            for (Future<Integer> future : done) {
                unexpected += future.get();
            }
            pool.shutdown();
            if (unexpected > 0) {  // a recording with requests that failed by accident is not the app's traffic
                System.out.println(unexpected + " request(s) failed unexpectedly");
                System.exit(1);
            }
        }
    }

    /** Serves one request; 1 if it failed when it should not have. */
    private static int serve(Request request, String note) {
        try {
            request.call().run();
            System.out.println("200 " + request.label() + note);
            return request.fails() == null ? 0 : 1;
        } catch (RuntimeException e) {  // what the servlet container would answer with a 500
            String expected = request.fails() != null ? " (expected: " + request.fails() + ")" : "";
            System.out.println("500 " + request.label() + note + ": " + rootCause(e) + expected);
            return request.fails() == null ? 1 : 0;
        }
    }

    private static String rootCause(Throwable error) {
        Throwable cause = error;
        while (cause.getCause() != null && cause.getCause() != cause) {
            cause = cause.getCause();
        }
        return cause.getClass().getSimpleName() + ": " + cause.getMessage();
    }

    private static List<Request> requests(OrderController orders, ReportController reports,
                                          TransactionTemplate transactional, long powerUser, long powerOrder,
                                          long createdOrder) {
        return List.of(
                new Request("GET /orders (no filter: the incident)",
                        () -> orders.list(new OrderQuery(null, null, null, 0, 20))),
                new Request("GET /orders?keyword=Item 12&status=DONE",
                        () -> orders.list(new OrderQuery("Item 12", "DONE", null, 0, 20))),
                new Request("GET /orders?status=PAID&userId=" + powerUser + "&offset=20",
                        () -> orders.list(new OrderQuery(null, "PAID", powerUser, 20, 20))),
                new Request("GET /orders/recent?status=PAID",
                        () -> orders.recent(new OrderQuery(null, "PAID", null, 0, 20)),
                        "searchRecentOrders reads since and lastId, which OrderQuery does not have"),
                new Request("GET /orders/" + powerOrder, () -> orders.get(powerOrder),
                        "selectWithItems returns one row per item to a single-result method"),
                new Request("GET /orders/" + powerOrder + "/lines (N+1 through toLine)", () -> orders.lines(powerOrder)),
                new Request("GET /orders/7/lines", () -> orders.lines(7)),
                new Request("GET /orders/users/" + powerUser + " (two reads by one key)", () -> orders.byUser(powerUser)),
                new Request("GET /orders/users/" + powerUser + "/items (N+1)", () -> orders.byUserWithItems(powerUser)),
                new Request("GET /orders/users/4242/items", () -> orders.byUserWithItems(4242)),
                new Request("POST /orders/" + createdOrder + "/pay (@Transactional)",
                        () -> transactional.execute(status -> orders.pay(createdOrder))),
                new Request("GET /reports/sales?since=2024-06-01", () -> reports.sales(LocalDate.parse("2024-06-01"))),
                new Request("GET /reports/coupons?code=CPN0001&activeOnly=true",
                        () -> reports.coupons("CPN0001", null, true)),
                new Request("GET /reports/coupons?minDiscount=40",
                        () -> reports.coupons(null, new BigDecimal("40"), false)),
                new Request("GET /reports/top-customers", () -> reports.topCustomers("spent")));
    }
}
