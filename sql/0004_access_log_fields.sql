-- What an access log line has that a row did not: where the client came from
-- (referer), how it spoke (protocol, scheme, request_length), which upstreams
-- answered and how (upstream_addr, upstream_status, upstream_response_time),
-- and the values a site chooses itself (fields, from trace_field).
--
-- referer      the Referer header as the client sent it.
-- protocol     as nginx's $server_protocol: HTTP/1.0, HTTP/1.1, HTTP/2.0; NULL
--              for HTTP/0.9 and for a request line nginx could not read.
-- scheme       as $scheme: http or https.
-- request_length
--              bytes received, as $request_length: request line, headers
--              and body.
-- upstream_addr, upstream_status, upstream_response_time
--              exactly as nginx's $upstream_addr, $upstream_status and
--              $upstream_response_time give them, the access log's form: one
--              entry per upstream tried, ", " between the tries of one
--              upstream and " : " where an internal redirect (error_page,
--              X-Accel-Redirect) went to another, e.g.
--              "10.0.0.1:80, 10.0.0.2:80 : unix:/run/app.sock",
--              "502, 200 : 404", "0.001, 0.004 : 0.000"; "-" where nginx has
--              no status or time (a try cut short). upstream_addr may be an
--              upstream's name when none of its servers could be tried. Text,
--              not arrays: it reads as the access log does, keeps the " : "
--              groups that a flat array would lose, and a try without a status
--              needs no placeholder; `trace-ctl requests --upstream-status 502`
--              matches any entry. NULL when the request went to no upstream.
-- fields       trace_field NAME VALUE: {"NAME": "VALUE", ...}, the values as
--              strings; a field whose value is empty is left out, and a row
--              without any value has NULL. Each value follows the escaping of
--              0003 on its own: one with a byte jsonb cannot hold (NUL, even as
--              \u0000, or invalid UTF-8) is stored escaped (such bytes as
--              \xHH, its backslashes doubled) and the row's escaped column
--              names it "fields.NAME"; every other value is exactly the bytes
--              nginx had, whatever the row's other values hold.
--
-- No index here. `trace-ctl requests --field NAME=VALUE` asks
-- `fields @> '{"NAME": "VALUE"}'`, which a GIN index (jsonb_path_ops) would
-- serve; --referer and --upstream-status read the newest rows by time until a
-- page is full. Whether any of them is worth its cost on every insert is
-- decided with the other indexes' budget, not here.
--
-- Added without defaults, so that no existing row is rewritten: each statement
-- takes a moment's ACCESS EXCLUSIVE lock whatever the table's size.

ALTER TABLE trace.requests
    ADD COLUMN referer text,
    ADD COLUMN protocol text,
    ADD COLUMN scheme text,
    ADD COLUMN request_length bigint,
    ADD COLUMN upstream_addr text,
    ADD COLUMN upstream_status text,
    ADD COLUMN upstream_response_time text,
    ADD COLUMN fields jsonb;
