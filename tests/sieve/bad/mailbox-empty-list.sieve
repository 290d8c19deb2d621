# expect: expecting string after '[' in string list, but found ']'
require "vnd.standby.mirror";
mirror :mailbox [];
