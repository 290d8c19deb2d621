# expect: folder name has a '.' or '..' level
require "vnd.standby.mirror";
mirror :mailbox "Orders/..";
