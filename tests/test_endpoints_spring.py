"""Spring MVC endpoints (tree-sitter): controllers → services (interfaces and their implementation,
constructor or field injection) → DAOs and MyBatis mappers; endpoint-level findings across the chain."""

from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path

from click.testing import CliRunner

from sqllint.cli import main
from sqllint.config import Config
from sqllint.endpoints.build import EndpointMap, build_map

MALL = Path(__file__).resolve().parent.parent / "fixtures" / "mall"


def project(tmp_path: Path, files: dict[str, str]) -> EndpointMap:
    for name, code in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(code), encoding="utf-8")
    return build_map(["."], Config(root=tmp_path), tmp_path, jobs=1)


def test_mall_endpoints_reach_the_mapper_statements() -> None:
    before = Path.cwd()
    os.chdir(MALL)
    try:
        result = CliRunner().invoke(main, ["endpoints", "--format", "json"], catch_exceptions=False)
    finally:
        os.chdir(before)
    assert result.exit_code == 0, result.output
    endpoints = {(",".join(e["methods"]), e["route"]): e for e in json.loads(result.stdout)["endpoints"]}
    summary = {key: (e["handler"]["function"], e["query_count"], e["worst"] and e["worst"]["rule"])
               for key, e in endpoints.items()}
    assert summary == {
        ("GET", "/orders"): ("OrderController.list", 1, "S001"),
        ("GET", "/orders/recent"): ("OrderController.recent", 1, None),
        ("GET", "/orders/users/{userId}"): ("OrderController.byUser", 2, "M001"),
        ("GET", "/orders/users/{userId}/items"): ("OrderController.byUserWithItems", 2, "M002"),
        ("GET", "/orders/{id}"): ("OrderController.get", 1, None),
        ("GET", "/orders/{id}/lines"): ("OrderController.lines", 2, "M002"),
        ("POST", "/orders/{id}/pay"): ("OrderController.pay", 3, None),
        ("GET", "/reports/coupons"): ("ReportController.coupons", 1, None),
        ("GET", "/reports/sales"): ("ReportController.sales", 1, None),
        ("GET", "/reports/top-customers"): ("ReportController.topCustomers", 1, "S003"),
    }
    [incident] = endpoints[("GET", "/orders")]["queries"]
    assert incident["resolved_from"] == "com.example.mall.mapper.OrderMapper.searchOrders"
    assert incident["via"] == ["OrderController.list", "OrderService.listOrders"]
    # N+1 through the helper toLine(): the helper's own query, reached in the stream's lambda
    lines = endpoints[("GET", "/orders/{id}/lines")]["queries"]
    assert [(q["function"], q["loop_depth"]) for q in lines] == [("OrderService.orderLines", 0),
                                                                 ("OrderService.toLine", 1)]
    pay = endpoints[("POST", "/orders/{id}/pay")]["queries"]
    assert [q["resolved_from"].rsplit(".", 1)[-1] for q in pay] == ["selectById", "updateStatus", "selectById"]


CONTROLLER = '''
package com.acme.web;

import org.springframework.web.bind.annotation.*;
import org.springframework.web.client.RestTemplate;
import com.acme.service.CatalogService;

@RestController
@RequestMapping({"/api/catalog", "/v2/catalog"})
public class CatalogController {
    @Autowired
    private CatalogService catalog;
    private final RestTemplate http = new RestTemplate();

    @RequestMapping(value = "/items", method = {RequestMethod.GET, RequestMethod.HEAD})
    public Object items(@RequestParam String q) {
        http.getForObject("http://pricing/prices", String.class);
        return catalog.search(q);
    }

    @PostMapping(path = "/refresh")
    public void refresh() {
        catalog.refreshAll();
    }
}
'''

SERVICE = '''
package com.acme.service;

public interface CatalogService {
    Object search(String q);
    void refreshAll();
}
'''

IMPL = '''
package com.acme.service;

import java.util.List;
import org.springframework.stereotype.Service;
import com.acme.dao.ItemDao;

@Service
public class CatalogServiceImpl implements CatalogService {
    private final ItemDao items;

    public CatalogServiceImpl(ItemDao items) {
        this.items = items;
    }

    public Object search(String q) {
        return items.byTitle(q);
    }

    public void refreshAll() {
        List<Long> ids = items.allIds();
        for (Long id : ids) {
            refreshOne(id);
        }
    }

    private void refreshOne(long id) {
        items.touch(id);
        refreshAll();
    }
}
'''

DAO = '''
package com.acme.dao;

import java.util.List;
import org.springframework.jdbc.core.JdbcTemplate;

public class ItemDao {
    private final JdbcTemplate jdbc;

    public ItemDao(JdbcTemplate jdbc) { this.jdbc = jdbc; }

    public List<Object> byTitle(String q) {
        return jdbc.queryForList("SELECT id, title FROM items WHERE title = ?", q);
    }

    public List<Long> allIds() {
        return jdbc.queryForList("SELECT id FROM items", Long.class);
    }

    public void touch(long id) {
        jdbc.update("UPDATE items SET touched_at = NOW() WHERE id = ?", id);
    }
}
'''


def test_spring_interfaces_injection_external_calls_loops_and_recursion(tmp_path: Path) -> None:
    emap = project(tmp_path, {
        "src/main/java/com/acme/web/CatalogController.java": CONTROLLER,
        "src/main/java/com/acme/service/CatalogService.java": SERVICE,
        "src/main/java/com/acme/service/CatalogServiceImpl.java": IMPL,
        "src/main/java/com/acme/dao/ItemDao.java": DAO,
    })
    assert {(",".join(c.endpoint.methods), c.endpoint.route) for c in emap.chains} == {
        ("GET,HEAD", "/api/catalog/items"), ("GET,HEAD", "/v2/catalog/items"),
        ("POST", "/api/catalog/refresh"), ("POST", "/v2/catalog/refresh"),
    }
    [items] = emap.select("GET /api/catalog/items")
    assert [q.query.query.raw for q in items.queries] == ["SELECT id, title FROM items WHERE title = ?"]
    assert [q.via() for q in items.queries] == ["CatalogController.items → CatalogServiceImpl.search → ItemDao.byTitle"]
    assert any(s.callee == "org.springframework.web.client.RestTemplate.getForObject"
               and s.reason == "outside the repository" for s in items.stops)
    [refresh] = emap.select("POST /v2/catalog/refresh")
    assert [(q.query.query.raw, q.loop_depth) for q in refresh.queries] == [
        ("SELECT id FROM items", 0), ("UPDATE items SET touched_at = NOW() WHERE id = ?", 1)]
    assert any(s.reason == "recursion: CatalogServiceImpl.refreshAll is already on the call path"
               for s in refresh.stops)
    # The static run already reports it at the call in the loop (the DAO method's SQL is resolved
    # there, issue 3c), so it is one of the chain's query findings rather than an endpoint-level one.
    # refreshOne runs two statements in that loop (touch, and allIds through refreshAll): one finding each.
    loops = [f for f in refresh.findings + refresh.query_findings if f.rule == "M002"]
    assert sorted(f.sql for f in loops) == ["SELECT id FROM items", "UPDATE items SET touched_at = NOW() WHERE id = ?"]
    [n_plus_one] = [f for f in loops if f.sql.startswith("UPDATE")]
    assert "runs once per iteration of the loop on line 22" in n_plus_one.message
    assert n_plus_one.path == "src/main/java/com/acme/service/CatalogServiceImpl.java" and n_plus_one.line == 23


def test_model_attribute_methods_run_first_and_generated_repositories_end_the_chain(tmp_path: Path) -> None:
    emap = project(tmp_path, {
        "src/main/java/com/acme/OwnerRepository.java": '''
            package com.acme;

            import org.springframework.data.repository.Repository;

            public interface OwnerRepository extends Repository<Owner, Integer> {
                Owner findById(Integer id);
            }
        ''',
        "src/main/java/com/acme/OwnerController.java": '''
            package com.acme;

            import org.springframework.jdbc.core.JdbcTemplate;
            import org.springframework.stereotype.Controller;
            import org.springframework.web.bind.annotation.*;

            @Controller
            class OwnerController {
                private final OwnerRepository owners;
                private final JdbcTemplate jdbc;

                OwnerController(OwnerRepository owners, JdbcTemplate jdbc) {
                    this.owners = owners;
                    this.jdbc = jdbc;
                }

                @ModelAttribute("visits")
                public Object visits() {
                    return jdbc.queryForList("SELECT id, visit_date FROM visits ORDER BY visit_date DESC LIMIT 10");
                }

                @GetMapping("/owners/{ownerId}")
                public Object show(@PathVariable int ownerId) {
                    return this.owners.findById(ownerId);
                }
            }
        ''',
    })
    [show] = emap.select("GET /owners/7")
    assert [q.query.query.raw for q in show.queries] == [
        "SELECT id, visit_date FROM visits ORDER BY visit_date DESC LIMIT 10"]
    assert [q.via() for q in show.queries] == ["OwnerController.visits"]
    [stop] = [s for s in show.stops if s.callee == "OwnerRepository.findById"]
    assert stop.reason.startswith("interface without an implementation in the repository")


def test_mapper_calls_are_queries_not_stops() -> None:
    emap = build_map(["."], Config(root=MALL), MALL, jobs=1)
    [incident] = emap.select("GET /orders")
    assert not [s for s in incident.stops if "Mapper" in s.callee]


def test_mapping_paths_from_constants(tmp_path: Path) -> None:
    emap = project(tmp_path, {
        "src/main/java/com/acme/Paths.java": '''
            package com.acme;

            public final class Paths {
                public static final String API = "/api/v" + Paths.VERSION;
                public static final String VERSION = "2";
            }
        ''',
        "src/main/java/com/acme/ItemController.java": '''
            package com.acme;

            import org.springframework.web.bind.annotation.*;

            @RestController
            @RequestMapping(Paths.API + "/items")
            public class ItemController {
                private static final String ONE = "/{id}";

                @GetMapping(ONE)
                public Object one(@PathVariable long id) { return null; }

                @DeleteMapping(value = {ONE, "/by-sku/{sku}"})
                public void drop() { }

                @GetMapping(System.getenv("X"))
                public void dynamic() { }
            }
        ''',
    })
    assert {(",".join(c.endpoint.methods), c.endpoint.route) for c in emap.chains} == {
        ("GET", "/api/v2/items/{id}"), ("DELETE", "/api/v2/items/{id}"), ("DELETE", "/api/v2/items/by-sku/{sku}")}
    assert any("ItemController.dynamic" in n.message and "not a literal" in n.message for n in emap.notes)


def test_a_service_interface_with_two_implementations_follows_the_bean_spring_injects(tmp_path: Path) -> None:
    service = "package com.ex.service;\npublic interface Prices { long of(long id); }\n"
    stored = """\
        package com.ex.service;

        @Service{annotations}
        public class StoredPrices implements Prices {
            private JdbcTemplate jdbc;

            public long of(long id) {
                return jdbc.queryForObject("SELECT price FROM items WHERE id = ?", Long.class, id);
            }
        }
        """
    quoted = """\
        package com.ex.service;

        @Service("quotes")
        public class QuotedPrices implements Prices {
            public long of(long id) { return 42; }
        }
        """
    controller = """\
        package com.ex.web;

        import com.ex.service.Prices;

        @RestController
        public class PriceController {
            {field}
            private Prices prices;

            @GetMapping("/prices/{id}")
            public long price(@PathVariable long id) { return prices.of(id); }
        }
        """

    def chain(field: str, annotations: str = ""):  # type: ignore[no-untyped-def]
        emap = project(tmp_path, {"src/main/java/com/ex/service/Prices.java": service,
                                  "src/main/java/com/ex/service/StoredPrices.java":
                                      stored.replace("{annotations}", annotations),
                                  "src/main/java/com/ex/service/QuotedPrices.java": quoted,
                                  "src/main/java/com/ex/web/PriceController.java": controller.replace("{field}", field)})
        [found] = emap.select("GET /prices/1")
        return [q.via() for q in found.queries], [s.reason for s in found.stops]

    via, stops = chain("@Autowired")
    assert via == [] and stops == ["2 implementations in the repository (QuotedPrices, StoredPrices) and no @Qualifier, "
                                   "@Primary or bean named like the field: which one runs is decided at run time"]
    assert chain("@Autowired", "\n@Primary")[0] == ["PriceController.price → StoredPrices.of"]
    assert chain('@Qualifier("storedPrices")')[0] == ["PriceController.price → StoredPrices.of"]
    assert chain('@Qualifier("quotes")', "\n@Primary") == ([], [])  # the qualified bean runs no SQL
