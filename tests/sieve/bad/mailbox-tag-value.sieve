# expect: requires a string as parameter, but a tag was found
require "vnd.standby.mirror";
mirror :mailbox :flags "x";
