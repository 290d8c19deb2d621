# expect: unknown tagged argument ':copy'
require "vnd.standby.mirror";
mirror :copy :mailbox "Orders";
