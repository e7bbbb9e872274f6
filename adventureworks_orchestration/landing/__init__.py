"""The landing zone: where daily files arrive, how they are named, listed and read.

Importing the package loads nothing heavy; ``reader`` needs pyspark, ``listing`` boto3 only for S3.
"""
