-- Generated rows for fixtures/shop/schema.sql (MariaDB: the SEQUENCE engine's seq_1_to_N tables).
-- Sizes make full scans, filesorts and index use real: 20k users, 2k products, 50k orders,
-- 120k order items, 30k shipments. Values are deterministic so plans are stable between runs.
INSERT INTO users (id, email, name, status, created_at)
SELECT seq, CONCAT('user', seq, '@example.com'), CONCAT('User ', seq),
       ELT(1 + seq % 3, 'active', 'banned', 'pending'), '2024-01-01' + INTERVAL seq MINUTE
FROM seq_1_to_20000;

INSERT INTO products (id, sku, title, price_cents, category)
SELECT seq, CONCAT('SKU-', seq), CONCAT('Product ', seq), 100 + seq % 9000,
       ELT(1 + seq % 5, 'books', 'games', 'garden', 'kitchen', 'toys')
FROM seq_1_to_2000;

INSERT INTO orders (id, user_id, status, total_cents, currency, created_at)
SELECT seq, 1 + seq % 20000, ELT(1 + seq % 4, 'new', 'paid', 'shipped', 'cancelled'), seq % 50000,
       IF(seq % 7 = 0, 'USD', 'EUR'), '2024-01-01' + INTERVAL seq * 7 MINUTE
FROM seq_1_to_50000;

INSERT INTO order_items (id, order_id, product_id, product_name, quantity, price_cents)
SELECT seq, 1 + seq % 50000, 1 + seq % 2000, CONCAT('Product ', 1 + seq % 2000), 1 + seq % 4, 100 + seq % 9000
FROM seq_1_to_120000;

INSERT INTO shipments (id, order_id, carrier, tracking_no, shipped_at)
SELECT seq, seq, ELT(1 + seq % 3, 'dhl', 'ups', 'post'), CONCAT('TRK', seq), '2024-02-01' + INTERVAL seq MINUTE
FROM seq_1_to_30000;

ANALYZE TABLE users, products, orders, order_items, shipments;
