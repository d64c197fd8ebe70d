package Bench::IngestRows;

# Rows shaped like the module's batches, for bench/ingest.pl: every column of
# trace.requests up to 0004, times that rise through a batch and from batch to
# batch (as one worker's log phase produces them), and the cardinalities of a
# busy site: thousands of users, each with a session, thousands of clients and
# paths, mostly GET and 200. Deterministic: the same seed gives the same rows.

use strict;
use warnings;

use Digest::MD5 qw(md5);
use POSIX qw(strftime);

use Exporter qw(import);
our @EXPORT_OK = qw(copy_columns make_rows batch_text batch_summary);

my @COLUMNS = qw(ts host server_name method path query status duration user_name session
                 client_addr bytes_sent user_agent request_id referer protocol scheme
                 request_length upstream_addr upstream_status upstream_response_time);

sub copy_columns { return join ', ', @COLUMNS }

my $SPACING_US = 15;    # 66,000 requests a second: one fast worker

# Each row as a hash of its values (ts added per batch by batch_text).
sub make_rows {
    my (%o) = @_;
    my ($count, $users, $clients, $paths) = @o{qw(count users clients paths)};
    srand($o{seed} // 42);
    my @areas = qw(orders items users search cart account api/v1/orders api/v1/items);
    my @rows;
    for my $i (1 .. $count) {
        my $user = int(rand($users));
        my $path = int(rand($paths));
        my $status = rand() < 0.92 ? 200 : (302, 304, 404, 500)[ $i % 4 ];
        my $proxied = rand() < 0.5;
        push @rows, {
            host => 'bench-host',
            server_name => 'example.org',
            method => rand() < 0.85 ? 'GET' : 'POST',
            path => sprintf('/%s/%d', $areas[ $path % @areas ], $path),
            query => $i % 5 ? '\N' : sprintf('page=%d', $i % 7),
            status => $status,
            duration => sprintf('00:00:00.%06d', 200 + ($i * 7) % 90000),
            user_name => "user$user",
            session => sprintf('%08x%08x%08x%08x', $user * 2654435761 % 2**32, $user, ~$user & 0xffffffff, 7),
            client_addr => sprintf('10.%d.%d.%d', $user % 7, int(rand($clients)) % 256,
                int(rand($clients)) % 250 + 1),
            bytes_sent => 300 + ($i * 31) % 50000,
            user_agent => ('Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0',
                'Mozilla/5.0 (Macintosh) Safari/605.1.15', 'curl/7.88.1')[ $user % 3 ],
            request_id => sprintf('%032x', $i * 7919),
            referer => $i % 3 ? sprintf('https://example.org/%s/', $areas[ $i % @areas ]) : '\N',
            protocol => 'HTTP/1.1',
            scheme => 'https',
            request_length => 400 + $i % 300,
            upstream_addr => $proxied ? '127.0.0.1:8080' : '\N',
            upstream_status => $proxied ? $status : '\N',
            upstream_response_time => $proxied ? sprintf('0.%03d', $i % 90) : '\N',
        };
    }
    return \@rows;
}

# Batch $n's COPY text: its rows, each $SPACING_US after the one before,
# following batch $n - 1. Returns (text, first ts, last ts) with the times as
# epoch microseconds.
sub batch_text {
    my ($rows, $n, $base_epoch) = @_;
    my $first = $base_epoch * 1_000_000 + $n * @$rows * $SPACING_US;
    my ($text, $us) = ('', $first);
    for my $r (@$rows) {
        my $ts = strftime('%Y-%m-%d %H:%M:%S', gmtime(int($us / 1e6))) . sprintf('.%06d+00', $us % 1_000_000);
        $text .= join("\t", $ts, @$r{ @COLUMNS[ 1 .. $#COLUMNS ] }) . "\n";
        $us += $SPACING_US;
    }
    return ($text, $first, $us - $SPACING_US);
}

# A value's four bit positions in a Bloom filter of $bits bits: the four 32-bit
# words of its MD5, modulo the size. Not the module's hash (XXH3,
# common/block_summary): what is measured here is what PostgreSQL does with
# filters of the same size, not how they are made.
sub bloom_positions {
    my ($key, $bits) = @_;
    return map { $_ % $bits } unpack 'N4', md5($key);
}

# A Bloom filter of 10 bits a key (four positions a key: about 1% false
# positives), as bytes.
sub bloom {
    my (@keys) = @_;
    my $bits = 8 * int((10 * @keys + 7) / 8) || 8;
    my $filter = "\0" x ($bits / 8);
    for my $key (@keys) {
        vec($filter, $_, 1) = 1 for bloom_positions($key, $bits);
    }
    return $filter;
}

# A path's grams, as the keys of the path filter: its trigrams and its
# 6-grams, as the module makes them (common/block_summary.cpp).
sub path_grams {
    my ($path) = @_;
    return (map({ 'g:' . substr($path, $_, 3) } 0 .. length($path) - 3),
        map({ 'G:' . substr($path, $_, 6) } 0 .. length($path) - 6));
}

# What the summary of a block of rows (consecutive rows of one batch) holds,
# key for key as the module's: a Bloom filter over the block's distinct keys
# (user, session and its 8-digit prefix, client and its /8, /16 and /24,
# status and its class, method, host), and one over its paths' grams.
sub batch_summary {
    my ($rows) = @_;
    my (%keys, %grams);
    for my $r (@$rows) {
        $keys{"u:$r->{user_name}"} = 1;
        $keys{"s:$r->{session}"} = 1;
        $keys{ 's:' . substr($r->{session}, 0, 8) } = 1;
        $keys{"c:$r->{client_addr}"} = 1;
        my @octets = split /\./, $r->{client_addr};
        $keys{ "n${\ (8 * $_)}:" . join('.', @octets[ 0 .. $_ - 1 ]) . '.' } = 1 for 1 .. 3;
        $keys{"t:$r->{status}"} = 1;
        $keys{ 't:' . substr($r->{status}, 0, 1) . 'xx' } = 1;
        $keys{"m:$r->{method}"} = 1;
        $keys{"h:$r->{host}"} = 1;
        $grams{$_} = 1 for path_grams($r->{path});
    }
    return (bloom(sort keys %keys), bloom(sort keys %grams));
}

1;
