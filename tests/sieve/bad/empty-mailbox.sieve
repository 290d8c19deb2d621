# expect: invalid :mailbox "": folder name is empty
require "vnd.standby.mirror";
mirror :mailbox "";
