# expect: folder name contains a control character
require "vnd.standby.mirror";
mirror :mailbox text:
Orders
.
;
