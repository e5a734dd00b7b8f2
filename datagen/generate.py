"""Deterministic upstream data, one day at a time, loaded with COPY.

Ids are derived from the day (`yyyymmdd * 10^k + n`), so each day's rows are independent of the others and a
day can be replaced on its own. The first day ever generated also creates the reference data (users, sellers,
buyers, brands, manufacturers, categories, products and the bridges); later days add orders, items,
clickstream and ratings and update a few users and products.
"""

from __future__ import annotations

import io
import random
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import psycopg2.extensions
from faker import Faker

from infra.errors import DatagenError
from infra.upstream_db import connect_upstream

CENT = Decimal("0.01")
EVENT_TYPES = ("impression", "view", "add_to_cart", "checkout")
COPY_CHUNK_ROWS = 100_000
DAY_TABLES = ("orders", "orderitem", "clickstream", "ratings")
SCHEMA_SQL = Path(__file__).with_name("schema.sql")


@dataclass(frozen=True)
class ReferenceSizes:
    users: int
    sellers: int
    brands: int
    manufacturers: int
    categories: int
    products: int

    @property
    def buyers(self) -> int:
        return self.users - self.sellers

    @classmethod
    def for_scale(cls, orders_per_day: int) -> ReferenceSizes:
        users = min(2_000 + orders_per_day // 2, 200_000)
        return cls(users=users, sellers=max(users // 20, 10), brands=50, manufacturers=30, categories=30,
                   products=min(500 + orders_per_day // 10, 20_000))


def seller_of(product_id: int, sizes: ReferenceSizes, nth: int = 0) -> int:
    """Sellers of a product follow a formula, so items and the sellerproduct bridge always agree."""
    return (product_id * 7919 + nth * 104729) % sizes.sellers + 1


def user_of_buyer(buyer_id: int, sizes: ReferenceSizes) -> int:
    return sizes.sellers + buyer_id


def _text(value: object) -> str:
    if value is None:
        return "\\N"
    return str(value).replace("\\", "\\\\").replace("\t", " ").replace("\n", " ")


def copy_rows(cur: psycopg2.extensions.cursor, table: str, columns: Sequence[str],
              rows: Iterable[Sequence[object]]) -> int:
    """COPY rows into `rainforest.<table>` in chunks; returns the number of rows."""
    total = 0
    buffer = io.StringIO()
    pending = 0
    statement = f"COPY rainforest.{table} ({', '.join(columns)}) FROM STDIN"

    def flush() -> None:
        buffer.seek(0)
        cur.copy_expert(statement, buffer)
        buffer.seek(0)
        buffer.truncate()

    for row in rows:
        buffer.write("\t".join(_text(value) for value in row))
        buffer.write("\n")
        pending += 1
        if pending == COPY_CHUNK_ROWS:
            flush()
            total += pending
            pending = 0
    if pending:
        flush()
        total += pending
    return total


def _ts(day: date, rng: random.Random) -> datetime:
    return datetime(day.year, day.month, day.day) + timedelta(seconds=rng.randrange(86_400))


def _day_key(day: date) -> int:
    return day.year * 10_000 + day.month * 100 + day.day


class Generator:
    def __init__(self, conn: psycopg2.extensions.connection, seed: int, orders_per_day: int) -> None:
        self.conn = conn
        self.seed = seed
        self.orders_per_day = orders_per_day

    def rng(self, *parts: object) -> random.Random:
        return random.Random("-".join(str(p) for p in (self.seed, *parts)))

    # --- reference data ---------------------------------------------------------------------------------

    def existing_sizes(self) -> ReferenceSizes | None:
        with self.conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM rainforest.appuser")
            users = cur.fetchone()[0]
            if users == 0:
                return None
            counts = []
            for table in ("seller", "brand", "manufacturer", "category", "product"):
                cur.execute(f"SELECT count(*) FROM rainforest.{table}")
                counts.append(cur.fetchone()[0])
        return ReferenceSizes(users, *counts)

    def create_reference(self, day: date) -> ReferenceSizes:
        sizes = ReferenceSizes.for_scale(self.orders_per_day)
        rng = self.rng("reference")
        fake = Faker()
        fake.seed_instance(self.seed)
        names = [fake.unique.user_name() for _ in range(min(sizes.users, 5_000))]
        words = [fake.word() for _ in range(300)]
        with self.conn.cursor() as cur:
            copy_rows(cur, "appuser", ("user_id", "username", "email", "is_active", "created_ts",
                                       "last_updated_ts"),
                      ((u, f"{names[u % len(names)]}{u}", f"{names[u % len(names)]}{u}@example.com",
                        rng.random() > 0.05, ts := _ts(day, rng), ts) for u in range(1, sizes.users + 1)))
            copy_rows(cur, "seller", ("seller_id", "user_id", "first_time_sold_timestamp", "created_ts",
                                      "last_updated_ts"),
                      ((s, s, ts := _ts(day, rng), ts, ts) for s in range(1, sizes.sellers + 1)))
            copy_rows(cur, "buyer", ("buyer_id", "user_id", "first_time_purchased_timestamp", "created_ts",
                                     "last_updated_ts"),
                      ((b, user_of_buyer(b, sizes), None, ts := _ts(day, rng), ts)
                       for b in range(1, sizes.buyers + 1)))
            copy_rows(cur, "brand", ("brand_id", "name", "country", "created_ts", "last_updated_ts"),
                      ((b, f"{fake.company()} #{b}", fake.country_code(), ts := _ts(day, rng), ts)
                       for b in range(1, sizes.brands + 1)))
            copy_rows(cur, "manufacturer", ("manufacturer_id", "name", "type", "created_ts", "last_updated_ts"),
                      ((m, f"{fake.company()} Manufacturing #{m}", rng.choice(("OEM", "ODM", "contract")),
                        ts := _ts(day, rng), ts) for m in range(1, sizes.manufacturers + 1)))
            copy_rows(cur, "category", ("category_id", "name", "created_ts", "last_updated_ts"),
                      ((c, f"{words[c % len(words)].title()} {c}", ts := _ts(day, rng), ts)
                       for c in range(1, sizes.categories + 1)))
            copy_rows(cur, "product", ("product_id", "name", "description", "price", "brand_id",
                                       "manufacturer_id", "created_ts", "last_updated_ts"),
                      ((p, f"{rng.choice(words).title()} {rng.choice(words)} {p}",
                        " ".join(rng.choices(words, k=8)), self.price(rng), rng.randint(1, sizes.brands),
                        rng.randint(1, sizes.manufacturers), ts := _ts(day, rng), ts)
                       for p in range(1, sizes.products + 1)))
            copy_rows(cur, "productcategory", ("product_id", "category_id", "created_ts", "last_updated_ts"),
                      ((p, c, ts := _ts(day, rng), ts) for p in range(1, sizes.products + 1)
                       for c in sorted(rng.sample(range(1, sizes.categories + 1), rng.choice((1, 1, 2, 3))))))
            copy_rows(cur, "sellerproduct", ("seller_id", "product_id"),
                      ((seller, p) for p in range(1, sizes.products + 1)
                       for seller in sorted({seller_of(p, sizes, n) for n in range(1 + p % 2)})))
        return sizes

    @staticmethod
    def price(rng: random.Random) -> Decimal:
        return (Decimal(rng.randint(100, 50_000)) * CENT).quantize(CENT)

    # --- one day ----------------------------------------------------------------------------------------

    def day_exists(self, day: date) -> bool:
        with self.conn.cursor() as cur:
            cur.execute("SELECT 1 FROM rainforest.orders WHERE created_ts >= %s AND created_ts < %s LIMIT 1",
                        (day, day + timedelta(days=1)))
            return cur.fetchone() is not None

    def delete_day(self, day: date) -> None:
        with self.conn.cursor() as cur:
            for table in DAY_TABLES:
                cur.execute(f"DELETE FROM rainforest.{table} WHERE created_ts >= %s AND created_ts < %s",
                            (day, day + timedelta(days=1)))

    def generate_day(self, day: date, sizes: ReferenceSizes) -> dict[str, int]:
        rng = self.rng("day", day.isoformat())
        key = _day_key(day)
        with self.conn.cursor() as cur:
            cur.execute("SELECT product_id, price FROM rainforest.product ORDER BY product_id")
            prices = [price for _, price in cur.fetchall()]
            orders: list[tuple[int, int, datetime, Decimal, datetime]] = []
            items: list[tuple[int, int, int, int, int, Decimal, Decimal, datetime]] = []
            for n in range(1, self.orders_per_day + 1):
                order_id = key * 10_000_000 + n
                order_ts = _ts(day, rng)
                total = Decimal(0)
                for _ in range(rng.choice((1, 2, 3, 3, 4, 5))):
                    product_id = rng.randint(1, sizes.products)
                    quantity = rng.randint(1, 4)
                    base_price = prices[product_id - 1]
                    total += quantity * base_price
                    items.append((key * 100_000_000 + len(items) + 1, order_id, product_id,
                                  seller_of(product_id, sizes, rng.randint(0, product_id % 2)), quantity,
                                  base_price, (quantity * base_price * Decimal("0.08")).quantize(CENT), order_ts))
                orders.append((order_id, rng.randint(1, sizes.buyers), order_ts, total, order_ts))
            counts = {
                "orders": copy_rows(cur, "orders", ("order_id", "buyer_id", "order_ts", "total_price",
                                                    "created_ts"), orders),
                "orderitem": copy_rows(cur, "orderitem", ("order_item_id", "order_id", "product_id", "seller_id",
                                                          "quantity", "base_price", "tax", "created_ts"), items),
                "clickstream": copy_rows(cur, "clickstream", ("event_id", "user_id", "event_type", "product_id",
                                                              "order_id", "event_ts", "additional_details",
                                                              "created_ts"),
                                         self.clickstream(key, orders, items, sizes, rng)),
                "ratings": copy_rows(cur, "ratings", ("ratings_id", "product_id", "rating", "created_ts",
                                                      "last_updated_ts"),
                                     ((key * 1_000_000 + n, rng.randint(1, sizes.products),
                                       Decimal(rng.randint(10, 50)) / 10, ts := _ts(day, rng), ts)
                                      for n in range(1, self.orders_per_day // 5 + 2))),
            }
            counts.update(self.update_some(cur, day, sizes, rng))
        return counts

    @staticmethod
    def clickstream(key: int, orders: Sequence[tuple[int, int, datetime, Decimal, datetime]],
                    items: Sequence[tuple[int, int, int, int, int, Decimal, Decimal, datetime]],
                    sizes: ReferenceSizes, rng: random.Random) -> Iterator[tuple[object, ...]]:
        """About ten events per order: browsing events on products, then one purchase on the order."""
        event = 0
        products_by_order: dict[int, list[int]] = {}
        for item in items:
            products_by_order.setdefault(item[1], []).append(item[2])
        for order_id, buyer_id, order_ts, _, _ in orders:
            user_id = user_of_buyer(buyer_id, sizes)
            bought = products_by_order[order_id]
            for _ in range(9):
                event += 1
                event_ts = order_ts - timedelta(seconds=rng.randrange(1, 3_600))
                if event_ts.date() != order_ts.date():
                    event_ts = order_ts
                product_id = rng.choice(bought) if rng.random() < 0.5 else rng.randint(1, sizes.products)
                yield (key * 1_000_000_000 + event, user_id, rng.choice(EVENT_TYPES), product_id, None, event_ts,
                       None, event_ts)
            event += 1
            yield (key * 1_000_000_000 + event, user_id, "purchase", None, order_id, order_ts, None, order_ts)

    def update_some(self, cur: psycopg2.extensions.cursor, day: date, sizes: ReferenceSizes,
                    rng: random.Random) -> dict[str, int]:
        """Type-1 changes for the silver dimensions to merge: a few emails and product prices."""
        users = rng.sample(range(1, sizes.users + 1), max(1, sizes.users // 100))
        products = rng.sample(range(1, sizes.products + 1), max(1, sizes.products // 50))
        user_rows = [(u, f"user{u}.{day:%Y%m%d}@example.com", _ts(day, rng)) for u in users]
        product_rows = [(p, self.price(rng), _ts(day, rng)) for p in products]
        cur.executemany("UPDATE rainforest.appuser SET email = %s, last_updated_ts = %s WHERE user_id = %s",
                        [(email, ts, u) for u, email, ts in user_rows])
        cur.executemany("UPDATE rainforest.product SET price = %s, last_updated_ts = %s WHERE product_id = %s",
                        [(price, ts, p) for p, price, ts in product_rows])
        return {"appuser (updated)": len(user_rows), "product (updated)": len(product_rows)}


def ensure_schema(conn: psycopg2.extensions.connection) -> None:
    ddl = SCHEMA_SQL.read_text()
    with conn.cursor() as cur:
        cur.execute(ddl)
    conn.commit()


def generate(start: date, days: int, orders_per_day: int, seed: int, replace: bool = False) -> int:
    """Generate `days` days from `start`; returns the number of rows written. Refuses existing days."""
    if days < 1 or orders_per_day < 1:
        raise DatagenError("--days and --orders-per-day must be at least 1")
    conn = connect_upstream()
    try:
        ensure_schema(conn)
        generator = Generator(conn, seed, orders_per_day)
        wanted = [start + timedelta(days=i) for i in range(days)]
        existing = [day for day in wanted if generator.day_exists(day)]
        if existing and not replace:
            raise DatagenError(f"upstream already holds data for {', '.join(map(str, existing))}; "
                               "pass --replace to regenerate those days")
        total = 0
        sizes = generator.existing_sizes()
        if sizes is None:
            began = time.monotonic()
            sizes = generator.create_reference(start)
            conn.commit()
            print(f"[datagen] reference data: {sizes} in {time.monotonic() - began:.1f}s", file=sys.stderr,
                  flush=True)
        for number, day in enumerate(wanted, start=1):
            began = time.monotonic()
            if day in existing:
                generator.delete_day(day)
            counts = generator.generate_day(day, sizes)
            conn.commit()
            rows = sum(counts.values())
            elapsed = time.monotonic() - began
            total += rows
            detail = ", ".join(f"{table} {count}" for table, count in counts.items())
            print(f"[datagen] {day} (day {number}/{len(wanted)}): {rows:,} rows in {elapsed:.1f}s "
                  f"({rows / elapsed:,.0f} rows/s): {detail}", file=sys.stderr, flush=True)
        return total
    finally:
        conn.close()
