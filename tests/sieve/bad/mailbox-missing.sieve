# expect: requires a string as parameter, but no parameters were found
require "vnd.standby.mirror";
mirror :mailbox;
