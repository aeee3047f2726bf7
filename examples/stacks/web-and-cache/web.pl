#!/usr/bin/perl
# The web part of the web-and-cache stack: answers every HTTP request with what the cache says to PING.
use strict;
use warnings;
use IO::Socket::INET;

my $port = shift // 8080;
$| = 1;
$SIG{TERM} = sub { print "web: stopping\n"; exit 0 };
my $server = IO::Socket::INET->new(LocalAddr => "127.0.0.1:$port", Listen => 16, ReuseAddr => 1)
    or die "web: cannot listen on $port: $!\n";
print "web: listening on 127.0.0.1:$port\n";
while (my $client = $server->accept) {
    while (my $line = <$client>) { last if $line =~ /^\r?\n$/ } # the request itself does not matter
    my $answer = 'unreachable';
    if (my $cache = IO::Socket::INET->new("127.0.0.1:$ENV{CACHE_PORT}")) {
        print $cache "PING\r\n";
        ($answer = <$cache> // '') =~ s/^\+|\r?\n$//g;
    }
    print $client "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\ncache says $answer\n";
    close $client;
}
