# What the compose prototype's messages share: reading Berth's request, loading and checking the
# stack (an ordered list of processes), and the state `up` leaves for `down` in ./.compose.
package Compose;
use strict;
use warnings;
use JSON::PP;
use CPAN::Meta::YAML;
use Time::HiRes ();

our $STATE = '.compose';
my %SIGNALS = map { $_ => 1 } qw(TERM INT QUIT HUP USR1 USR2 KILL);

# The request on stdin: {"object": <params>, "response_path": "<file>"}.
sub request {
    my $text = do { local $/; <STDIN> };
    my $request = eval { decode_json($text) } or die "compose: the request on stdin is not JSON: $@";
    return $request;
}

# The stack: params.processes, or the file params.file (YAML or JSON, relative to the working
# directory, where the service's inputs are).
sub stack {
    my ($params) = @_;
    $params ||= {};
    my @unknown = grep { $_ ne 'file' && $_ ne 'processes' } sort keys %$params;
    die "compose: unknown param '$unknown[0]' (give 'file' or 'processes')\n" if @unknown;
    my $stack;
    if (defined $params->{processes}) {
        die "compose: give either 'file' or 'processes', not both\n" if defined $params->{file};
        $stack = { processes => $params->{processes} };
    } elsif (defined $params->{file}) {
        $stack = load($params->{file});
    } else {
        die "compose: params need 'file' (a stack file, e.g. from an input) or 'processes'\n";
    }
    check($stack, $params->{file} // 'params');
    return $stack->{processes};
}

sub load {
    my ($file) = @_;
    die "compose: param 'file' must be a path\n" if ref $file;
    open my $in, '<', $file or die "compose: cannot read the stack file '$file': $!\n";
    my $text = do { local $/; <$in> };
    if ($text =~ /\A\s*\{/) {
        my $stack = eval { decode_json($text) } or die "compose: $file is not valid JSON: $@";
        return $stack;
    }
    my $yaml = eval { CPAN::Meta::YAML->read_string($text) } or die "compose: $file is not valid YAML: $@";
    return $yaml->[0] || {};
}

sub check {
    my ($stack, $where) = @_;
    my @errors;
    my $list = ref $stack eq 'HASH' ? $stack->{processes} : undef;
    if (ref $list ne 'ARRAY' || !@$list) {
        die "compose: $where: 'processes' must be a non-empty list\n";
    }
    my %seen;
    for my $i (0 .. $#$list) {
        my $p = $list->[$i];
        my $at = "$where: processes[$i]";
        if (ref $p ne 'HASH') { push @errors, "$at must be a map"; next }
        my @unknown = grep { !/^(name|command|dir|env|ready|ready_timeout|stop_signal|stop_timeout)$/ } sort keys %$p;
        push @errors, "$at: unknown field '$_'" for @unknown;
        my $name = $p->{name} // '';
        push @errors, "$at: 'name' must be letters, digits, '_' or '-'" unless !ref $name && $name =~ /^[A-Za-z0-9_-]+$/;
        push @errors, "$at: duplicate name '$name'" if $seen{$name}++;
        $at = "$where: process '$name'" if $name ne '';
        for my $field (qw(command ready)) {
            my $v = $p->{$field};
            next if !defined $v && $field eq 'ready';
            if (ref $v eq 'ARRAY') {
                push @errors, "$at: '$field' must not be empty" unless @$v;
                push @errors, "$at: '$field' must hold strings" if grep { ref } @$v;
            } elsif (!defined $v || ref $v || $v eq '') {
                push @errors, "$at: '$field' must be a command line or a list of arguments";
            } elsif ($v =~ /^\s*\[/) {
                push @errors, "$at: write '$field' as a list with one item per line (flow style [..] is not supported)";
            }
        }
        push @errors, "$at: 'env' must be a map" if defined $p->{env} && ref $p->{env} ne 'HASH';
        push @errors, "$at: 'dir' must be a relative path" if defined $p->{dir} && (ref $p->{dir} || $p->{dir} =~ m{^/});
        for my $field (qw(ready_timeout stop_timeout)) {
            push @errors, "$at: '$field' must be a number of seconds"
                if defined $p->{$field} && $p->{$field} !~ /^\d+(\.\d+)?$/;
        }
        push @errors, "$at: unknown stop_signal '$p->{stop_signal}' (" . join(', ', sort keys %SIGNALS) . ")"
            if defined $p->{stop_signal} && !$SIGNALS{$p->{stop_signal}};
    }
    die join('', map { "compose: $_\n" } @errors) if @errors;
}

sub respond {
    my ($request, $response) = @_;
    open my $out, '>', $request->{response_path} or die "compose: cannot write the response: $!\n";
    print $out encode_json($response);
    close $out or die "compose: cannot write the response: $!\n";
}

sub pid_file { "$STATE/$_[0]{name}.pid" }

sub stop_signal { $_[0]{stop_signal} // 'TERM' }

sub stop_timeout { $_[0]{stop_timeout} // 5 }

# Whether any process of group $pgid runs (zombies waiting for their parent do not count).
sub group_alive {
    my ($pgid) = @_;
    for my $stat (glob '/proc/[0-9]*/stat') {
        open my $in, '<', $stat or next;
        my $line = <$in> // next;
        my ($state, $group) = $line =~ /\)\s+(\S)\s+\d+\s+(\d+)/ or next;
        return 1 if $group == $pgid && $state !~ /[ZX]/;
    }
    return 0;
}

# Stops process $p, which leads its own process group $pgid: its stop_signal to the whole group, then
# KILL if the group is not gone after its stop_timeout. $reap, if given, reaps children meanwhile.
sub stop {
    my ($p, $pgid, $reap) = @_;
    $reap ||= sub {};
    return unless group_alive($pgid);
    print "compose: stopping $p->{name} (SIG" . stop_signal($p) . ")\n";
    kill stop_signal($p), -$pgid;
    my $deadline = Time::HiRes::time() + stop_timeout($p);
    while (group_alive($pgid)) {
        $reap->();
        if (Time::HiRes::time() > $deadline) {
            print "compose: $p->{name} did not stop within " . stop_timeout($p) . " s; killing it\n";
            kill 'KILL', -$pgid;
            $deadline = Time::HiRes::time() + 5;
            while (group_alive($pgid) && Time::HiRes::time() < $deadline) {
                $reap->();
                Time::HiRes::sleep(0.02);
            }
            last;
        }
        Time::HiRes::sleep(0.02);
    }
    $reap->();
}

1;
