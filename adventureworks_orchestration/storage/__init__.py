"""Day-partitioned tables on a local folder or an S3 bucket, and the protocol that publishes them.

Importing the package loads nothing heavy: ``partitioned_table`` needs pyspark, ``s3`` boto3.
"""
