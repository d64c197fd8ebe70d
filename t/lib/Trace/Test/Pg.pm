package Trace::Test::Pg;

# A private PostgreSQL for one test: initdb in the test's directory, a free
# port, trust authentication, no fsync; a database "trace" and, once migrated,
# the roles the module (nginx_module) and trace-ctl's maintenance (trace_ops)
# log in as. $t->postgres and $t->postgres_migrated make one; Trace::Test::Citus
# makes three, each under a directory of its own (name) with settings of its own.

use strict;
use warnings;

use DBI;
use File::Path qw(make_path);

use Trace::Test ();
use Trace::Test::Ports qw(free_port);

my $PG_BIN = $ENV{PG_BIN} // do {
    my ($dir) = reverse sort glob('/usr/lib/postgresql/*/bin');
    $dir;
};

# initdb in $harness's directory, start, and CREATE DATABASE trace.
# Options: name (the directory under the test's, default pg), settings (more
# -c NAME=VALUE for the server, before the test's own pg_settings).
sub create {
    my ($class, $harness, %opt) = @_;
    my $dir = $harness->base . '/' . ($opt{name} // 'pg');
    make_path("$dir/sock");
    if ($> == 0) {
        defined(getpwnam('postgres')) or die "no postgres user\n";
        system('chown', '-R', 'postgres:postgres', $dir) == 0 or die "chown $dir\n";
    }
    chmod 0700, $dir;
    chmod 0755, "$dir/sock";
    my ($rc, $out, $err) = Trace::Test::run({ env => { LC_ALL => 'C.UTF-8' } },
        Trace::Test::as_user_cmd('postgres', "$PG_BIN/initdb", '-D', "$dir/data", '-U', 'postgres',
            '--auth=trust', '-E', 'UTF8', '--locale=C.UTF-8', '--no-sync',
            '--no-instructions'));
    die "initdb failed: $out$err" if $rc;
    my $self = bless { dir => $dir, sock => "$dir/sock", harness => $harness,
        settings => $opt{settings} // {} }, $class;
    $self->start;
    $self->superuser_sql('CREATE DATABASE trace');
    return $self;
}

# Creates the schema with the built trace-ctl and a login role for the
# module; once only.
sub migrate {
    my ($self) = @_;
    return $self if $self->{migrated}++;
    my ($rc, $out, $err) = $self->{harness}->trace_ctl('--db', $self->conninfo, 'migrate');
    die "migrate failed: $out$err" if $rc;
    $self->sql(q{DO $$ BEGIN
        IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'nginx_module') THEN
            CREATE ROLE nginx_module LOGIN IN ROLE trace_writer; END IF;
        IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'trace_ops') THEN
            CREATE ROLE trace_ops LOGIN IN ROLE trace_maintainer; END IF;
        END $$});
    return $self;
}

sub port { $_[0]{port} }

# Where the server's programs are (pg_ctl, pg_config).
sub bin_dir { $PG_BIN }

# Starts the server, on the same port as before when it ran already.
sub start {
    my ($self) = @_;
    $self->{port} //= free_port();
    # Tests run without fsync; Trace::Test->new(pg_settings => {fsync => 'on', ...})
    # overrides (later -c options win), e.g. for the benchmark.
    my $settings = { %{ $self->{settings} }, %{ $self->{harness}{pg_settings} // {} } };
    my $extra = join '', map { " -c $_=$settings->{$_}" } sort keys %$settings;
    my ($rc, $out, $err) = Trace::Test::run(
        Trace::Test::as_user_cmd('postgres', "$PG_BIN/pg_ctl", '-D', "$self->{dir}/data",
            '-l', "$self->{dir}/server.log", '-w', '-t', '30', '-o',
            "-c listen_addresses=127.0.0.1 -p $self->{port} -k $self->{sock} "
            . "-c fsync=off -c max_connections=200$extra", 'start'));
    die "PostgreSQL did not start: $out$err" . Trace::Test::slurp("$self->{dir}/server.log")
        if $rc;
    $self->{running} = 1;
}

sub stop {
    my ($self, $mode) = @_;
    return unless $self->{running};
    delete $self->{dbh};
    Trace::Test::run(Trace::Test::as_user_cmd('postgres', "$PG_BIN/pg_ctl", '-D',
        "$self->{dir}/data", '-m', $mode // 'fast', '-w', '-t', '30', 'stop'));
    $self->{running} = 0;
}

sub conninfo {
    my ($self, %args) = @_;
    my $user = $args{user} // 'postgres';
    my $db = $args{dbname} // 'trace';
    return "host=127.0.0.1 port=$self->{port} dbname=$db user=$user";
}

sub dbh {
    my ($self, %args) = @_;
    my $user = $args{user} // 'postgres';
    my $db = $args{dbname} // 'trace';
    my $key = "$user/$db";
    return $self->{dbh}{$key} if $self->{dbh}{$key} && $self->{dbh}{$key}->ping;
    $self->{dbh}{$key} = DBI->connect("dbi:Pg:dbname=$db;host=127.0.0.1;port=$self->{port}",
        $user, '', { RaiseError => 1, PrintError => 0, AutoCommit => 1, pg_enable_utf8 => 0 });
    return $self->{dbh}{$key};
}

# Runs SQL on the trace database as the superuser; returns rows as arrayrefs.
sub sql {
    my ($self, $sql, @bind) = @_;
    my $sth = $self->dbh->prepare($sql);
    $sth->execute(@bind);
    return $sth->{NUM_OF_FIELDS} ? $sth->fetchall_arrayref : [];
}

sub value {
    my ($self, $sql, @bind) = @_;
    my $rows = $self->sql($sql, @bind);
    return @$rows ? $rows->[0][0] : undef;
}

# SQL on the postgres database (CREATE DATABASE, pg_reload_conf()).
sub superuser_sql {
    my ($self, $sql) = @_;
    my $dbh = $self->dbh(dbname => 'postgres');
    $dbh->do($sql);
}

1;
