-- Generated rows for fixtures/mall/schema.sql (the MyBatis fixture's database), loaded by
-- tests/conftest.py with MariaDB's SEQUENCE engine. 20k users, 200 categories, 5k products, 500
-- coupons, 50k orders, 120k order items, 30k shipments; skewed like real shop data (heavy buyers,
-- most orders done, best-selling products). CRC32 of the sequence number is the deterministic
-- "random" number, so plans are the same on every run.
INSERT INTO users (id, email, nickname, phone, status, level, created_at, updated_at)
SELECT seq, CONCAT('member', seq, '@mall.example'), CONCAT('member_', seq),
       IF(seq % 4 = 0, NULL, CONCAT('+86 139', LPAD(seq, 8, '0'))),
       CASE WHEN seq % 100 < 90 THEN 1 WHEN seq % 100 < 97 THEN 2 ELSE 0 END,
       CRC32(CONCAT('lv', seq)) % 6,
       '2022-06-01' + INTERVAL seq * 60 MINUTE, '2022-06-01' + INTERVAL seq * 61 MINUTE
FROM seq_1_to_20000;

INSERT INTO categories (id, parent_id, name, sort_order)
SELECT seq, IF(seq <= 20, NULL, 1 + seq % 20), CONCAT('Category ', seq), seq % 10
FROM seq_1_to_200;

INSERT INTO products (id, sku, title, category_id, price, stock, status, description, created_at, updated_at)
SELECT seq, CONCAT('MALL-', LPAD(seq, 7, '0')), CONCAT('Item ', seq, ' ', ELT(1 + seq % 5, 'phone', 'shirt', 'lamp', 'book', 'mug')),
       21 + FLOOR(POW(CRC32(CONCAT('cat', seq)) / 4294967296, 2) * 180),
       ROUND(1 + CRC32(CONCAT('pr', seq)) % 50000 / 100, 2), CRC32(CONCAT('st', seq)) % 500,
       IF(seq % 100 < 85, 1, 0), IF(seq % 3 = 0, NULL, REPEAT('Nice product. ', 1 + seq % 5)),
       '2022-01-01' + INTERVAL seq * 3 HOUR, '2022-01-01' + INTERVAL seq * 3 HOUR
FROM seq_1_to_5000;

INSERT INTO coupons (id, code, discount, min_amount, valid_from, valid_until)
SELECT seq, CONCAT('CPN', LPAD(seq, 6, '0')), 5 + seq % 50, (seq % 5) * 50,
       '2023-01-01' + INTERVAL seq DAY, '2023-01-01' + INTERVAL seq + 30 DAY
FROM seq_1_to_500;

-- user_id: cube of a uniform number, so low ids order far more often (the heavy buyers).
INSERT INTO orders (id, order_no, user_id, coupon_id, status, total_amount, pay_amount, remark, paid_at,
                    created_at, updated_at)
SELECT seq, CONCAT('NO', LPAD(seq, 12, '0')),
       1 + FLOOR(POW(CRC32(CONCAT('u', seq)) / 4294967296, 3) * 20000),
       IF(CRC32(CONCAT('cp', seq)) % 5 = 0, 1 + seq % 500, NULL),
       CASE WHEN seq > 48000 AND seq % 3 = 0 THEN 'CREATED'
            WHEN CRC32(CONCAT('s', seq)) % 100 < 60 THEN 'DONE'
            WHEN CRC32(CONCAT('s', seq)) % 100 < 78 THEN 'SHIPPED'
            WHEN CRC32(CONCAT('s', seq)) % 100 < 90 THEN 'PAID'
            WHEN CRC32(CONCAT('s', seq)) % 100 < 95 THEN 'CREATED' ELSE 'CANCELLED' END,
       10 + CRC32(CONCAT('t', seq)) % 100000 / 100, 9 + CRC32(CONCAT('t', seq)) % 100000 / 100,
       IF(seq % 9 = 0, 'leave at the door', NULL),
       IF(CRC32(CONCAT('s', seq)) % 100 < 90, '2023-01-01' + INTERVAL seq * 19 MINUTE + INTERVAL 5 MINUTE, NULL),
       '2023-01-01' + INTERVAL seq * 19 MINUTE, '2023-01-01' + INTERVAL seq * 19 MINUTE + INTERVAL 1 DAY
FROM seq_1_to_50000;

INSERT INTO order_items (id, order_id, product_id, product_name, quantity, unit_price, created_at)
SELECT seq, 1 + (seq - 1) % 50000, p.id, p.title, 1 + CRC32(CONCAT('q', seq)) % 3, p.price,
       '2023-01-01' + INTERVAL (1 + (seq - 1) % 50000) * 19 MINUTE
FROM seq_1_to_120000
JOIN products p ON p.id = 1 + FLOOR(POW(CRC32(CONCAT('p', seq)) / 4294967296, 2) * 5000);

INSERT INTO shipments (id, order_id, carrier, tracking_no, status, shipped_at, delivered_at)
SELECT seq, seq, CASE WHEN seq % 10 < 5 THEN 'SF' WHEN seq % 10 < 8 THEN 'ZTO' ELSE 'EMS' END,
       CONCAT('TN', LPAD(seq, 10, '0')), IF(seq % 7 = 0, 'IN_TRANSIT', 'DELIVERED'),
       '2023-01-02' + INTERVAL seq * 19 MINUTE, IF(seq % 7 = 0, NULL, '2023-01-04' + INTERVAL seq * 19 MINUTE)
FROM seq_1_to_30000;

ANALYZE TABLE users, categories, products, coupons, orders, order_items, shipments;
