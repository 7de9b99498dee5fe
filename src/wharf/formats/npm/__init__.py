"""The npm format: names, tarballs, the publish body, packuments and the npm upstream."""
