#!/usr/bin/perl
# recipe_parse.pl: the parsing step of the old recipe, as the baseline.
#
#   perl bench/scale/recipe_parse.pl [--by-proto] [/var/log/iptraf/tcp_udp_services-eth0.log]
#
# The recipe this plugin replaces ("Monitoring network traffic with iptraf and
# rrdtool", taedium.com/rrd-iptraf): `iptraf -s eth0 -B` logs every 5 minutes,
# and a Perl script run from cron every 5 minutes opens the whole log, reads it
# line by line, takes from every per-port line the numbers by regex into
# %port_in / %port_out (so that the last block's values win), and then calls
# `rrdtool update <port>.rrd N:<in>:<out>` for each port.
#
# Kept as it was: the whole file is read on every run, one regex per line,
# last values remembered per port, and the port alone as the key (TCP/7 and
# UDP/7 overwrite each other, as in the original). The rrdtool calls are
# replaced by printing the update lines, so that only the parsing is timed.
# The regex accepts the iptraf-ng 1.2 rate columns (", 167.42 kbps") between
# the groups, which the 2002 script (iptraf 2.5, no rates) never saw; without
# that it would match nothing in an iptraf-ng log.
#
# --by-proto keys by protocol and port instead (the one fix needed to check
# the figures) and prints the table of `iptraf-services-count` (proto port dir
# packets bytes), so its result can be compared with the generator's
# lastseen.tsv. Same loop, same regex: the timing is the same.
use strict;
use warnings;

my $by_proto = 0;
if (@ARGV && $ARGV[0] eq '--by-proto') {
    $by_proto = 1;
    shift @ARGV;
}
my $logfile = shift @ARGV || '/var/log/iptraf/tcp_udp_services-eth0.log';

my (%port_in, %port_out, %pkts_in, %pkts_out);

open(LOG, '<', $logfile) or die "cannot open $logfile: $!\n";
while (<LOG>) {
    if (/^(TCP|UDP)\/(\d+): (\d+) packets, (\d+) bytes total[^;]*; *(\d+) packets, (\d+) bytes incoming[^;]*; *(\d+) packets, (\d+) bytes outgoing/) {
        my $key = $by_proto ? "$1/$2" : $2;
        $pkts_in{$key}  = $5;
        $port_in{$key}  = $6;
        $pkts_out{$key} = $7;
        $port_out{$key} = $8;
    }
}
close(LOG);

if ($by_proto) {
    print "proto\tport\tdir\tpackets\tbytes\n";
    my @keys = sort {
        my ($pa, $na) = split m{/}, $a;
        my ($pb, $nb) = split m{/}, $b;
        $pa cmp $pb or $na <=> $nb
    } keys %port_in;
    foreach my $key (@keys) {
        my ($proto, $port) = split m{/}, $key;
        $proto = lc $proto;
        print "$proto\t$port\tin\t$pkts_in{$key}\t$port_in{$key}\n" if $pkts_in{$key};
        print "$proto\t$port\tout\t$pkts_out{$key}\t$port_out{$key}\n" if $pkts_out{$key};
    }
} else {
    foreach my $port (sort { $a <=> $b } keys %port_in) {
        print "rrdtool update /var/lib/rrd/port$port.rrd N:$port_in{$port}:$port_out{$port}\n";
    }
}
