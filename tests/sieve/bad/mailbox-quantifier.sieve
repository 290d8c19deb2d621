# expect: requires a string as parameter, but a number was found
require "vnd.standby.mirror";
mirror :mailbox 5K;
