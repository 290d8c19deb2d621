# expect: unknown test 'environment'
require "vnd.standby.mirror";
if environment "vnd.standby.direction" "incoming" { mirror; }
