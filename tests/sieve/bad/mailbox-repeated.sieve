# expect: encountered duplicate :mailbox argument for the mirror command
require "vnd.standby.mirror";
mirror :mailbox "A" :mailbox "B";
