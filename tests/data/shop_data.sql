-- Generated rows for fixtures/shop/schema.sql, loaded by tests/conftest.py (MariaDB: the SEQUENCE
-- engine's seq_1_to_N tables). Sizes make full scans, filesorts and index use real: 20k users, 2k
-- products, 50k orders, 120k order items, 30k shipments. Distributions are skewed the way shop data
-- is (a few heavy buyers, most orders shipped, a few best-selling products). CRC32 of the sequence
-- number stands in for a random number so every run generates the same rows and the same plans.
INSERT INTO users (id, email, name, status, created_at)
SELECT seq, CONCAT('user', seq, '@example.com'),
       CONCAT(ELT(1 + seq % 8, 'Anna', 'Ben', 'Chloe', 'David', 'Emma', 'Felix', 'Grace', 'Hugo'), ' ',
              ELT(1 + (seq * 7) % 11, 'Smith', 'Meyer', 'Rossi', 'Martin', 'Novak', 'Silva', 'Jensen',
                  'Kowalski', 'Dubois', 'Garcia', 'Ito')),
       CASE WHEN seq % 20 < 17 THEN 'active' WHEN seq % 20 < 19 THEN 'pending' ELSE 'banned' END,
       '2023-01-01' + INTERVAL seq * 50 MINUTE
FROM seq_1_to_20000;

INSERT INTO products (id, sku, title, price_cents, category)
SELECT seq, CONCAT('SKU-', LPAD(seq, 6, '0')), CONCAT('Product ', seq),
       99 + CRC32(CONCAT('price', seq)) % 20000,
       CASE WHEN CRC32(CONCAT('cat', seq)) % 100 < 40 THEN 'books'
            WHEN CRC32(CONCAT('cat', seq)) % 100 < 65 THEN 'kitchen'
            WHEN CRC32(CONCAT('cat', seq)) % 100 < 85 THEN 'toys'
            WHEN CRC32(CONCAT('cat', seq)) % 100 < 95 THEN 'garden' ELSE 'games' END
FROM seq_1_to_2000;

-- user_id: cube of a uniform number, so low ids buy far more often (the heavy buyers).
INSERT INTO orders (id, user_id, status, total_cents, currency, created_at)
SELECT seq, 1 + FLOOR(POW(CRC32(CONCAT('u', seq)) / 4294967296, 3) * 20000),
       CASE WHEN seq > 48000 AND seq % 3 = 0 THEN 'new'
            WHEN CRC32(CONCAT('s', seq)) % 100 < 70 THEN 'shipped'
            WHEN CRC32(CONCAT('s', seq)) % 100 < 88 THEN 'paid'
            WHEN CRC32(CONCAT('s', seq)) % 100 < 95 THEN 'new' ELSE 'cancelled' END,
       500 + CRC32(CONCAT('t', seq)) % 30000,
       IF(CRC32(CONCAT('c', seq)) % 10 = 0, 'USD', 'EUR'),
       '2023-01-01' + INTERVAL seq * 19 MINUTE
FROM seq_1_to_50000;

-- 1 to 4 items per order; product_id skewed towards a few best sellers.
INSERT INTO order_items (id, order_id, product_id, product_name, quantity, price_cents)
SELECT seq, 1 + (seq - 1) % 50000, p.id, p.title, 1 + CRC32(CONCAT('q', seq)) % 3, p.price_cents
FROM seq_1_to_120000
JOIN products p ON p.id = 1 + FLOOR(POW(CRC32(CONCAT('p', seq)) / 4294967296, 2) * 2000);

INSERT INTO shipments (id, order_id, carrier, tracking_no, shipped_at)
SELECT seq, seq,
       CASE WHEN seq % 10 < 5 THEN 'dhl' WHEN seq % 10 < 8 THEN 'ups' ELSE 'post' END,
       IF(seq % 50 = 0, NULL, CONCAT('TRK', LPAD(seq, 9, '0'))),
       '2023-01-02' + INTERVAL seq * 19 MINUTE
FROM seq_1_to_30000;

ANALYZE TABLE users, products, orders, order_items, shipments;
