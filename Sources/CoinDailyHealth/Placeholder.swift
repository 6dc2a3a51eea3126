// Placeholder: the health producer's model goes here (replace this file).
