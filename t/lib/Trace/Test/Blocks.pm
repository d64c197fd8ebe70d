package Trace::Test::Blocks;

# The check of the tests of listings through block summaries (sql/0006): a
# page of `trace-ctl requests --format json` is exactly the plain SQL answer,
# `ORDER BY ts DESC, id DESC` with the same WHERE, worked out by the test.
#
#     my $same = Trace::Test::Blocks->new($t, $pg, @db);
#     $same->same_ok(['--user', 'alice'], 'user_name = ?', ['alice'],
#         pages => [[50, 1], [50, 2], [20, 30]]);   # [limit, page], the default

use strict;
use warnings;

use Test::More ();
use Trace::Test::Reading qw(decode_json_output);

# A user as a row stores it and its row condition, as trace-ctl's: the name,
# and whether `escaped` names user_name.
our $PLAIN_USER = q{user_name = ? AND NOT coalesce('user_name' = ANY(escaped), false)};
our $ESCAPED_USER = q{user_name = ? AND 'user_name' = ANY(escaped)};

sub new {
    my ($class, $t, $pg, @db) = @_;
    return bless { t => $t, pg => $pg, db => \@db }, $class;
}

sub expected_ids {
    my ($self, $where, $binds, $limit, $offset) = @_;
    my $sql = 'SELECT id FROM trace.requests' . ($where ? " WHERE $where" : '')
        . " ORDER BY ts DESC, id DESC LIMIT $limit OFFSET $offset";
    return $self->{pg}->dbh->selectcol_arrayref($sql, undef, @$binds);
}

sub listed {
    my ($self, @args) = @_;
    my ($rc, $out, $err) = $self->{t}->trace_ctl(@{ $self->{db} }, 'requests', '--format', 'json',
        @args);
    Test::More::is($rc, 0, "requests @args: exit 0") or Test::More::diag($err);
    return [map { $_->{id} } @{ $rc ? [] : decode_json_output($out) }];
}

sub same_ok {
    my ($self, $args, $where, $binds, %o) = @_;
    my $shown = join ' ', map { length > 40 ? substr($_, 0, 40) . '...' : $_ } @$args;
    for my $page (@{ $o{pages} // [[50, 1], [50, 2], [20, 30]] }) {
        my ($limit, $n) = @$page;
        my $want = $self->expected_ids($where, $binds, $limit, ($n - 1) * $limit);
        my $got = $self->listed(@$args, '--limit', $limit, '--page', $n);
        Test::More::is_deeply($got, $want, sprintf(
            'requests %s, page %d of %d: the plain answer (%d rows)', $shown, $n, $limit,
            scalar @$want)) or Test::More::diag("got @$got[0..9]\nwant @$want[0..9]");
    }
}

1;
