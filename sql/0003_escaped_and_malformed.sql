-- Two marks a row needs so that what is stored is unambiguous.
--
-- escaped: the columns of this row whose text is escaped. PostgreSQL text
-- cannot hold NUL or invalid UTF-8; when a value has such bytes, the module
-- writes each of them as the four characters \xHH and doubles every backslash
-- of the value, and names the column here. A column not named holds exactly the
-- bytes that were sent, backslashes included: a client that sends the four
-- characters \xff is told apart from one that sends the byte 0xff. NULL when
-- no column is escaped, the common case, which costs nothing.
--
-- malformed: true when nginx rejected the request before it had parsed its
-- target (400 for /a%00b or /../x, 414, 494, a control byte in the request
-- line): path then holds the request line's target as the client sent it, and
-- method what stands before it. NULL for every other request.
--
-- Both are added without a default, so that no existing row is rewritten: the
-- statements take a moment's ACCESS EXCLUSIVE lock whatever the table's size.

ALTER TABLE trace.requests ADD COLUMN escaped text[];
ALTER TABLE trace.requests ADD COLUMN malformed boolean;
ALTER TABLE trace.audit ADD COLUMN escaped text[];
