-- Upstream application database (the seed's ERD, with the clarifications of DESIGN.md §2).
-- Timestamps are UTC. Money is USD numeric(12,2). orders, orderitem and clickstream are insert-only.
CREATE SCHEMA IF NOT EXISTS rainforest;

CREATE TABLE IF NOT EXISTS rainforest.appuser (
    user_id         bigint PRIMARY KEY,
    username        text NOT NULL,
    email           text NOT NULL,
    is_active       boolean NOT NULL,
    created_ts      timestamp NOT NULL,
    last_updated_ts timestamp NOT NULL
);

CREATE TABLE IF NOT EXISTS rainforest.seller (
    seller_id                 bigint PRIMARY KEY,
    user_id                   bigint NOT NULL REFERENCES rainforest.appuser (user_id),
    first_time_sold_timestamp timestamp,
    created_ts                timestamp NOT NULL,
    last_updated_ts           timestamp NOT NULL
);

CREATE TABLE IF NOT EXISTS rainforest.buyer (
    buyer_id                       bigint PRIMARY KEY,
    user_id                        bigint NOT NULL REFERENCES rainforest.appuser (user_id),
    first_time_purchased_timestamp timestamp,
    created_ts                     timestamp NOT NULL,
    last_updated_ts                timestamp NOT NULL
);

CREATE TABLE IF NOT EXISTS rainforest.brand (
    brand_id        bigint PRIMARY KEY,
    name            text NOT NULL,
    country         text NOT NULL,
    created_ts      timestamp NOT NULL,
    last_updated_ts timestamp NOT NULL
);

CREATE TABLE IF NOT EXISTS rainforest.manufacturer (
    manufacturer_id bigint PRIMARY KEY,
    name            text NOT NULL,
    type            text NOT NULL,
    created_ts      timestamp NOT NULL,
    last_updated_ts timestamp NOT NULL
);

CREATE TABLE IF NOT EXISTS rainforest.category (
    category_id     bigint PRIMARY KEY,
    name            text NOT NULL,
    created_ts      timestamp NOT NULL,
    last_updated_ts timestamp NOT NULL
);

CREATE TABLE IF NOT EXISTS rainforest.product (
    product_id      bigint PRIMARY KEY,
    name            text NOT NULL,
    description     text NOT NULL,
    price           numeric(12, 2) NOT NULL,
    brand_id        bigint NOT NULL REFERENCES rainforest.brand (brand_id),
    manufacturer_id bigint NOT NULL REFERENCES rainforest.manufacturer (manufacturer_id),
    created_ts      timestamp NOT NULL,
    last_updated_ts timestamp NOT NULL
);

CREATE TABLE IF NOT EXISTS rainforest.ratings (
    ratings_id      bigint PRIMARY KEY,
    product_id      bigint NOT NULL REFERENCES rainforest.product (product_id),
    rating          numeric(3, 1) NOT NULL,
    created_ts      timestamp NOT NULL,
    last_updated_ts timestamp NOT NULL
);

CREATE TABLE IF NOT EXISTS rainforest.productcategory (
    product_id      bigint NOT NULL REFERENCES rainforest.product (product_id),
    category_id     bigint NOT NULL REFERENCES rainforest.category (category_id),
    created_ts      timestamp NOT NULL,
    last_updated_ts timestamp NOT NULL,
    PRIMARY KEY (product_id, category_id)
);

CREATE TABLE IF NOT EXISTS rainforest.sellerproduct (
    seller_id  bigint NOT NULL REFERENCES rainforest.seller (seller_id),
    product_id bigint NOT NULL REFERENCES rainforest.product (product_id),
    PRIMARY KEY (seller_id, product_id)
);

CREATE TABLE IF NOT EXISTS rainforest.orders (
    order_id    bigint PRIMARY KEY,
    buyer_id    bigint NOT NULL,
    order_ts    timestamp NOT NULL,
    total_price numeric(14, 2) NOT NULL,
    created_ts  timestamp NOT NULL
);

CREATE TABLE IF NOT EXISTS rainforest.orderitem (
    order_item_id bigint PRIMARY KEY,
    order_id      bigint NOT NULL,
    product_id    bigint NOT NULL,
    seller_id     bigint NOT NULL,
    quantity      integer NOT NULL,
    base_price    numeric(12, 2) NOT NULL,
    tax           numeric(12, 2) NOT NULL,
    created_ts    timestamp NOT NULL
);

CREATE TABLE IF NOT EXISTS rainforest.clickstream (
    event_id           bigint PRIMARY KEY,
    user_id            bigint NOT NULL,
    event_type         text NOT NULL,
    product_id         bigint,
    order_id           bigint,
    event_ts           timestamp NOT NULL,
    additional_details text,
    created_ts         timestamp NOT NULL
);

-- Incremental extraction filters on these (DESIGN.md §5).
CREATE INDEX IF NOT EXISTS orders_created_ts ON rainforest.orders (created_ts);
CREATE INDEX IF NOT EXISTS orderitem_created_ts ON rainforest.orderitem (created_ts);
CREATE INDEX IF NOT EXISTS clickstream_created_ts ON rainforest.clickstream (created_ts);
CREATE INDEX IF NOT EXISTS ratings_last_updated_ts ON rainforest.ratings (last_updated_ts);
