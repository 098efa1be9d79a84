#!/usr/bin/perl
# An MTA pipes a bounce in (e.g. Postfix: bounces: "|/usr/local/bin/bounce-to-ticket.pl");
# ndr serve reads it; one ticket line per failed recipient. Core Perl only (HTTP::Tiny, JSON::PP).
use strict; use warnings; use HTTP::Tiny; use JSON::PP;
my $url = $ENV{NDR_URL} // 'http://127.0.0.1:8025';
open my $fh, '<', $ENV{NDR_TOKEN_FILE} // '/etc/ndr/token' or exit 75; chomp(my $token = <$fh>);
my $mail = do { local $/; binmode STDIN; <STDIN> };
my $r = HTTP::Tiny->new->post("$url/v1/parse", { content => $mail, headers => {
    'Content-Type' => 'message/rfc822', Authorization => "Bearer $token" } });
exit($r->{status} == 422 ? 65 : 75) unless $r->{success};     # 75: the MTA keeps it and retries
for my $rec (@{ decode_json($r->{content}) }) {
    next unless $rec->{kind} eq 'bounce';
    # Replace print with your ticket system's call; record_id makes repeats easy to drop.
    printf "ticket %s: %s %s (%s) - %s\n", $rec->{record_id}, $rec->{recipient} // '?',
        $rec->{status} // '', $rec->{reason}, ($rec->{fixes} // [])->[0] // $rec->{summary} // '';
}
