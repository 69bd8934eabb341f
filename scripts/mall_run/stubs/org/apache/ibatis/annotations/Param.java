package org.apache.ibatis.annotations;

import java.lang.annotation.*;

/** Stand-in for MyBatis's annotation of the same name (MyBatis is not packaged by Debian); see fixtures/mall/logs/README.md. */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.PARAMETER)
public @interface Param {
    String value();
}
