"""Products with brand, manufacturer, average rating and rating count (type-1)."""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from tables.spec import Input, Scope, table


@table(
    keys=("product_id",),
    inputs={
        "product": Input("bronze.product", Scope.CHANGED),
        "brand": Input("bronze.brand", Scope.CHANGED),
        "manufacturer": Input("bronze.manufacturer", Scope.CHANGED),
        "ratings": Input("bronze.ratings", Scope.LATEST),
    },
)
def dim_product(product: DataFrame, brand: DataFrame, manufacturer: DataFrame, ratings: DataFrame) -> DataFrame:
    brands = brand.select("brand_id", F.col("name").alias("brand_name"), F.col("country").alias("brand_country"))
    makers = manufacturer.select("manufacturer_id", F.col("name").alias("manufacturer_name"),
                                 F.col("type").alias("manufacturer_type"))
    rating_stats = ratings.groupBy("product_id").agg(
        F.avg("rating").cast("decimal(4,2)").alias("rating_average"), F.count("*").alias("rating_count"))
    return (
        product.join(F.broadcast(brands), "brand_id", "left")
        .join(F.broadcast(makers), "manufacturer_id", "left")
        .join(rating_stats, "product_id", "left")
        .select(
            "product_id", F.col("name").alias("product_name"), "description", "price", "brand_id", "brand_name",
            "brand_country", "manufacturer_id", "manufacturer_name", "manufacturer_type", "rating_average",
            F.coalesce("rating_count", F.lit(0)).alias("rating_count"), "created_ts", "last_updated_ts",
        )
    )
