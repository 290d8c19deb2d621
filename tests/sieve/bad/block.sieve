# expect: the mirror command does not accept a command block
require "vnd.standby.mirror";
mirror :mailbox "Orders" { keep; }
