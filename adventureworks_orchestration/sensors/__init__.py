"""Landing-zone sensors (the S3/landing sensor arrives with the sensor issue)."""
