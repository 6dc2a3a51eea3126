// Placeholder: the whale producer's model goes here (replace this file).
