-- Records in the ledger the migrations before this one, for a database whose
-- schema was made with `psql -1 -f` file by file (0000 ... this one) rather than
-- by trace-ctl: trace-ctl then finds them applied, with the checksums of these
-- released files, and records this file itself on its next run (running it
-- again changes nothing). Where trace-ctl applied them, their rows are there
-- already and this inserts nothing.

INSERT INTO trace.schema_migrations (version, name, checksum) VALUES
    (0, 'schema_migrations', 'd46e549e489a62729017fc154ab79433452ca47a7417640a63c671a984b5b38f'),
    (1, 'init', '4d9b6b8b8c06809bfced84bc82a907c696f1bda45d1e586d2549f6b3ada41a79'),
    (2, 'reading_indexes', 'd075b67e02a7c0bb6c367c3cd7e101317f1ec72c4303610c69d9b6120b58b938'),
    (3, 'escaped_and_malformed', '29bdbe7785ef8f3ef3a366adb67479a9277434669b91de6a4ed0573f34989c8e'),
    (4, 'access_log_fields', '5d7654b12a4026dcd51b0bea418a57ff1e20f7383c9fd9bd44cf866fa2ada96a')
ON CONFLICT (version) DO NOTHING;
