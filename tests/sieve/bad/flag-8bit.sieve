# expect: keyword contains a non-ASCII character
require "vnd.standby.mirror";
mirror :flags "Größe";
